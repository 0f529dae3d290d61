//! Reading input files as text, with the checks every input shares: size, emptiness, binary
//! content, byte-order marks. Errors name the file and, where known, line and column.

use crate::untrusted;
use std::path::Path;

/// An error message longer than this is cut: it quotes input, and input can be huge.
const MAX_MESSAGE_CHARS: usize = 1_000;

/// A problem with one input file, rendered as `path:line:column: message` on one line. Every
/// module that reads a file reports with it, so errors look alike and carry their position.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("{}", shown(.path, *.line, *.column, .message))]
pub struct FileError {
    pub path: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl FileError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> FileError {
        FileError {
            path: path.into(),
            line: None,
            column: None,
            message: one_line(&message.into()),
        }
    }

    pub fn at(path: impl Into<String>, line: usize, column: Option<usize>, message: impl Into<String>) -> FileError {
        FileError {
            path: path.into(),
            line: Some(line),
            column,
            message: one_line(&message.into()),
        }
    }
}

/// The rendering for people: the path and message are untrusted (file names, quoted input),
/// so hazards are made visible and the message is capped.
fn shown(path: &str, line: Option<usize>, column: Option<usize>, message: &str) -> String {
    let mut out = untrusted::quoted(path);
    if let Some(line) = line {
        out.push_str(&format!(":{line}"));
        if let Some(column) = column {
            out.push_str(&format!(":{column}"));
        }
    }
    out.push_str(": ");
    out.push_str(&untrusted::visible(&untrusted::capped(message, MAX_MESSAGE_CHARS)));
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads a text file of at most `max_bytes`, refusing empty and binary files, and anything that
/// is not a regular file (a FIFO would block, a device would never end); strips a byte-order
/// mark, reads UTF-16 that carries one, and normalizes CRLF line endings.
pub fn read_text(path: &Path, display: &str, max_bytes: u64) -> Result<String, FileError> {
    use std::io::Read as _;
    let meta = std::fs::metadata(path).map_err(|e| FileError::new(display, io_message(&e)))?;
    if meta.is_dir() {
        return Err(FileError::new(display, "is a directory"));
    }
    if !meta.is_file() {
        return Err(FileError::new(
            display,
            "not a regular file (a device, FIFO or socket); copy its content to a file",
        ));
    }
    let too_big = |size: u64| {
        FileError::new(
            display,
            format!(
                "file is {}, more than the {} this input may be",
                human_size(size),
                human_size(max_bytes)
            ),
        )
    };
    if meta.len() > max_bytes {
        return Err(too_big(meta.len()));
    }
    // The size can change between the check and the read: read at most one byte past the limit.
    let file = std::fs::File::open(path).map_err(|e| FileError::new(display, io_message(&e)))?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::new(display, io_message(&e)))?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_big(bytes.len() as u64));
    }
    decode_text(display, bytes)
}

/// Text in UTF-16 with a byte-order mark (what Windows editors save as "Unicode"), as UTF-8.
fn decode_utf16(display: &str, bytes: &[u8], little_endian: bool) -> Result<Vec<u8>, FileError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(FileError::new(display, "UTF-16 text with an odd number of bytes"));
    }
    let units = bytes.chunks_exact(2).map(|pair| {
        if little_endian {
            u16::from_le_bytes([pair[0], pair[1]])
        } else {
            u16::from_be_bytes([pair[0], pair[1]])
        }
    });
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map(String::into_bytes)
        .map_err(|_| FileError::new(display, "invalid UTF-16 text (an unpaired surrogate)"))
}

/// The checks of [`read_text`] on bytes already in memory.
pub fn decode_text(display: &str, bytes: Vec<u8>) -> Result<String, FileError> {
    let bytes = match bytes.as_slice() {
        [0xff, 0xfe, rest @ ..] => decode_utf16(display, rest, true)?,
        [0xfe, 0xff, rest @ ..] => decode_utf16(display, rest, false)?,
        _ => bytes,
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FileError::new(display, "file is empty"));
    }
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(FileError::new(
            display,
            format!("binary file (NUL byte at offset {offset}), not text"),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        FileError::new(
            display,
            format!(
                "not UTF-8 text (invalid byte at offset {}); if it is Latin-1 or Windows-1252, save it as UTF-8",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    let text = text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text);
    Ok(if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text
    })
}

/// The last component of a path as the user wrote it (either separator).
pub fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

pub fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => one_line(&e.to_string()),
    }
}

pub fn human_size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else if bytes >= 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_rejects_empty_binary_and_bad_utf8() {
        assert_eq!(
            decode_text("f", b"  \n".to_vec()).unwrap_err().to_string(),
            "f: file is empty"
        );
        assert!(decode_text("f", b"ab\0c".to_vec())
            .unwrap_err()
            .to_string()
            .contains("NUL byte at offset 2"));
        assert!(decode_text("f", vec![b'a', 0xff])
            .unwrap_err()
            .to_string()
            .contains("not UTF-8"));
    }

    #[test]
    fn decode_reads_utf16_with_a_byte_order_mark() {
        let text = "app: Büro\r\n";
        let le: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xfe, 0xff]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode_text("f", le).unwrap(), "app: Büro\n");
        assert_eq!(decode_text("f", be).unwrap(), "app: Büro\n");
        assert!(decode_text("f", vec![0xff, 0xfe, b'a']).is_err());
    }

    #[test]
    fn decode_strips_bom_and_crlf() {
        assert_eq!(
            decode_text("f", "\u{feff}a: 1\r\nb: 2\r\n".as_bytes().to_vec()).unwrap(),
            "a: 1\nb: 2\n"
        );
    }

    #[test]
    fn error_renders_on_one_line() {
        let e = FileError::at("m.yaml", 3, Some(7), "bad\nthing");
        assert_eq!(e.to_string(), "m.yaml:3:7: bad thing");
    }
}
