//! A small element tree over quick-xml for Salesforce metadata files, with the line of every
//! element. DOCTYPE declarations are refused outright, so no external entity is fetched and
//! no entity expands: metadata never needs them, and refusing is the only safe reading.

use crate::source_file::FileError;
use quick_xml::events::Event;
use quick_xml::Reader;

/// Salesforce metadata nests a few levels deep; anything deeper is not metadata.
const MAX_DEPTH: usize = 32;

/// XML text escaping, for element text and attribute values alike: the five markup characters
/// as entities, and the characters XML 1.0 cannot carry (controls below U+0020 other than tab,
/// line feed and carriage return) as U+FFFD. Everything else is kept as it is: what a reader
/// shows is neutralized where it is shown.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The local name, without any namespace prefix.
    pub name: String,
    /// The element's own text (entity and character references resolved), untrimmed.
    pub text: String,
    /// 1-based line of the start tag.
    pub line: u32,
    pub children: Vec<Element>,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text, or None when it is empty.
    pub fn value(&self) -> Option<&str> {
        Some(self.text.trim()).filter(|t| !t.is_empty())
    }

    /// All text in the element and its descendants, in document order: what a reader can still
    /// recover from a wrongly nested element.
    pub fn deep_text(&self) -> Vec<(&str, u32)> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            if let Some(v) = e.value() {
                out.push((v, e.line));
            }
            stack.extend(e.children.iter().rev());
        }
        out
    }
}

/// 1-based line of each byte offset, by binary search over the newline positions.
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        LineIndex(text.match_indices('\n').map(|(i, _)| i).collect())
    }

    fn line(&self, offset: u64) -> u32 {
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        u32::try_from(self.0.partition_point(|&nl| nl < offset) + 1).unwrap_or(u32::MAX)
    }
}

fn predefined_entity(name: &str) -> Option<&'static str> {
    match name {
        "lt" => Some("<"),
        "gt" => Some(">"),
        "amp" => Some("&"),
        "apos" => Some("'"),
        "quot" => Some("\""),
        _ => None,
    }
}

/// The message for XML that cannot be read. Tag names the parser quotes come from the input and
/// may be the tail of a secret (`<consumerSecret>abc<DEF123</consumerSecret>` makes an element
/// `DEF123`), so errors about tags say where, never what.
fn malformed(e: &quick_xml::Error) -> String {
    use quick_xml::errors::IllFormedError;
    match e {
        quick_xml::Error::IllFormed(IllFormedError::MismatchedEndTag { .. }) => {
            "malformed XML: an end tag does not match the element it closes (a `<` inside a value?)".to_string()
        }
        quick_xml::Error::IllFormed(IllFormedError::UnmatchedEndTag(_)) => {
            "malformed XML: an end tag closes no open element".to_string()
        }
        quick_xml::Error::IllFormed(IllFormedError::MissingEndTag(_)) => {
            "malformed XML: an element is never closed".to_string()
        }
        quick_xml::Error::IllFormed(IllFormedError::MissingDeclVersion(_)) => {
            "malformed XML: the XML declaration has no `version` first".to_string()
        }
        other => format!("malformed XML: {other}"),
    }
}

/// Parses a whole document into its root element. `path` names the file in errors.
pub fn parse(path: &str, text: &str) -> Result<Element, FileError> {
    let lines = LineIndex::new(text);
    let mut reader = Reader::from_str(text);
    let at = |offset: u64, message: String| FileError::at(path, lines.line(offset) as usize, None, message);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let start = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| at(reader.error_position(), malformed(&e)))?;
        let open = |e: &quick_xml::events::BytesStart| -> Result<Element, FileError> {
            let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
            Ok(Element {
                name,
                text: String::new(),
                line: lines.line(start),
                children: Vec::new(),
            })
        };
        match event {
            Event::DocType(_) => {
                return Err(at(
                    start,
                    "DOCTYPE declarations are refused: metadata never needs them, and they allow external entities and entity expansion".to_string(),
                ))
            }
            Event::Start(e) => {
                if root.is_some() {
                    return Err(at(start, "more than one root element".to_string()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(at(start, format!("elements nested deeper than {MAX_DEPTH} levels")));
                }
                stack.push(open(&e)?);
            }
            Event::Empty(e) => {
                let element = open(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None if root.is_none() => root = Some(element),
                    None => return Err(at(start, "more than one root element".to_string())),
                }
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else {
                    return Err(at(start, "closing tag without an opening tag".to_string()));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(t) => {
                let decoded = t
                    .decode()
                    .map_err(|e| at(start, format!("text is not valid in this encoding: {e}")))?;
                match stack.last_mut() {
                    Some(current) => current.text.push_str(&decoded),
                    None if decoded.trim().is_empty() => {}
                    None => return Err(at(start, "text outside the root element".to_string())),
                }
            }
            Event::CData(t) => {
                let decoded = t
                    .decode()
                    .map_err(|e| at(start, format!("CDATA is not valid in this encoding: {e}")))?;
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&decoded);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = String::from_utf8_lossy(r.as_ref()).into_owned();
                        match predefined_entity(&name) {
                            Some(s) => s.to_string(),
                            None => {
                                return Err(at(
                                    start,
                                    format!("undefined entity `&{name};`: only the five predefined XML entities are allowed"),
                                ))
                            }
                        }
                    }
                    Err(e) => return Err(at(start, format!("bad character reference: {e}"))),
                };
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&resolved);
                }
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(FileError::at(
            path,
            open.line as usize,
            None,
            format!("element <{}> is never closed", open.name),
        ));
    }
    root.ok_or_else(|| FileError::new(path, "no XML root element"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_text_reads_back_as_written_save_what_xml_cannot_carry() {
        for kept in [
            "A & B <x> \"q\" 'a'",
            "tab\tline\nfeed",
            "del\u{7f} c1\u{85} \u{202e}rtl",
        ] {
            let doc = format!("<a>{}</a>", escape_text(kept));
            assert_eq!(parse("t.xml", &doc).unwrap().text, kept, "{doc}");
        }
        assert_eq!(
            escape_text("bell\u{7}esc\u{1b}nul\u{0}"),
            "bell\u{fffd}esc\u{fffd}nul\u{fffd}"
        );
    }

    #[test]
    fn reads_elements_text_and_lines() {
        let doc = "<?xml version=\"1.0\"?>\n<!-- c -->\n<A xmlns=\"urn:x\">\n  <b>one &amp; <![CDATA[two]]> &#x41;</b>\n  <c/>\n</A>\n";
        let root = parse("f.xml", doc).unwrap();
        assert_eq!(root.name, "A");
        assert_eq!(root.line, 3);
        let b = root.child("b").unwrap();
        assert_eq!((b.text.as_str(), b.line), ("one & two A", 4));
        assert_eq!(root.child("c").unwrap().line, 5);
    }

    #[test]
    fn refuses_doctype_and_unknown_entities() {
        let xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<a>&x;</a>";
        let err = parse("f.xml", xxe).unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.starts_with("DOCTYPE declarations are refused"), "{err}");
        let err = parse("f.xml", "<a>\n&x;</a>").unwrap_err();
        assert!(err.to_string().starts_with("f.xml:2: undefined entity `&x;`"), "{err}");
    }

    #[test]
    fn reports_malformed_documents_with_a_line() {
        for (doc, line, text) in [
            ("<a>\n<b></c>\n</a>", 2, "malformed XML"),
            ("<a>\n<b>\n", 2, "element <b> is never closed"),
            ("<a/><b/>", 1, "more than one root element"),
            ("text", 1, "text outside the root element"),
            ("<!-- only -->", 0, "no XML root element"),
        ] {
            let err = parse("f.xml", doc).unwrap_err();
            assert!(err.message.contains(text), "{doc:?}: {err}");
            if line > 0 {
                assert_eq!(err.line, Some(line), "{doc:?}: {err}");
            }
        }
        let deep = "<a>".repeat(40) + &"</a>".repeat(40);
        assert!(parse("f.xml", &deep).unwrap_err().message.contains("nested deeper"));
    }
}
