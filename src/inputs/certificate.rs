//! The `<certificate>` element of Salesforce Connected App metadata: what kind of certificate
//! text it holds and, for an X.509 certificate, its validity period.
//!
//! Three forms are met in real repositories: PEM text (`-----BEGIN CERTIFICATE-----`, sometimes
//! after an OpenSSL export's `Bag Attributes` lines), the bare base64 of the DER certificate
//! with no armour (what a Metadata API retrieve writes), and the base64 of a whole PEM export.
//! Vendors also paste placeholders, redacted bodies, private keys by mistake, garbage. The text
//! is untrusted (and fuzzed), so base64 and the few DER structures needed are read by hand here,
//! bounds-checked, without panicking; no message ever quotes key or certificate bytes. (A crate
//! would bring a full X.509 parser for two dates; this reader is small, fuzzed and never
//! allocates more than the input.)

use crate::model::Date;

/// What kind of PEM text a certificate element holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PemKind {
    /// An X.509 certificate (`CERTIFICATE`, `X509 CERTIFICATE` or `TRUSTED CERTIFICATE`).
    Certificate,
    /// A private key, in any block of the text: a leaked key, even after a certificate.
    PrivateKey,
    /// Another PEM block, with its BEGIN label (e.g. `PUBLIC KEY`, `CERTIFICATE REQUEST`).
    Other(String),
    /// No usable BEGIN line and no base64 of a certificate: a placeholder or garbage.
    NotPem,
}

/// What could be learned from a certificate element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    pub kind: PemKind,
    /// Validity of the first certificate, when it could be read.
    pub not_before: Option<Date>,
    pub not_after: Option<Date>,
    /// Why the validity could not be read (one short line, no key material), when it could not.
    pub problem: Option<String>,
}

const BEGIN: &[u8] = b"-----BEGIN ";
const END: &[u8] = b"-----END ";
/// Real labels are short ("ENCRYPTED PRIVATE KEY" is among the longest); longer is garbage.
const MAX_LABEL: usize = 64;
/// How far along a BEGIN line "PRIVATE KEY" is looked for: bounded so that a long line holding
/// many BEGIN markers cannot make the scan quadratic.
const MAX_BEGIN_LINE: usize = 128;
const CERTIFICATE_LABELS: [&str; 3] = ["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"];

const TAG_INTEGER: u8 = 0x02;
const TAG_SEQUENCE: u8 = 0x30;
const TAG_VERSION: u8 = 0xA0;
const TAG_UTC_TIME: u8 = 0x17;
const TAG_GENERALIZED_TIME: u8 = 0x18;

/// Inspects the text of a certificate element. Never panics, whatever the input.
///
/// `kind` comes from the first PEM block, except that any private key block anywhere makes it
/// [`PemKind::PrivateKey`]. The validity is that of the first certificate block, whatever the
/// kind (so a certificate pasted with its key can still be found expired). `problem` is set
/// when the kind is [`PemKind::NotPem`], or [`PemKind::Certificate`] without a readable validity.
pub fn inspect(text: &str) -> CertificateFacts {
    inspect_at(text, 0)
}

/// How many times base64 text is unwrapped to find a PEM export inside: a retrieve wraps once;
/// more is garbage, and the bound keeps the work linear.
const MAX_UNWRAP: u8 = 2;

fn inspect_at(text: &str, depth: u8) -> CertificateFacts {
    let bytes = text.as_bytes();
    let mut facts = CertificateFacts {
        kind: PemKind::NotPem,
        not_before: None,
        not_after: None,
        problem: None,
    };
    let Some(first) = find(bytes, BEGIN, 0).map(|at| begin_line(bytes, at)) else {
        if text.trim().is_empty() {
            facts.problem = Some("certificate is empty".to_string());
            return facts;
        }
        if let Some(unwrapped) = bare_base64(bytes, depth) {
            return unwrapped;
        }
        facts.problem = Some("not a certificate: neither PEM text nor base64 DER".to_string());
        return facts;
    };

    let validity = first_certificate(bytes).map(|begin| read_validity(bytes, &begin));
    if let Some(Ok((not_before, not_after))) = validity {
        facts.not_before = Some(not_before);
        facts.not_after = Some(not_after);
    }

    facts.kind = if has_private_key(bytes) {
        PemKind::PrivateKey
    } else {
        match first.label {
            Some(label) if CERTIFICATE_LABELS.contains(&label) => PemKind::Certificate,
            Some(label) => PemKind::Other(label.to_string()),
            None => {
                facts.problem = Some("not a PEM certificate (malformed BEGIN line)".to_string());
                PemKind::NotPem
            }
        }
    };
    if facts.kind == PemKind::Certificate {
        if let Some(Err(problem)) = validity {
            facts.problem = Some(problem);
        }
    }
    facts
}

/// Text without a BEGIN line that is base64: of a DER certificate (as a Metadata API retrieve
/// writes it), of a DER private key or key store, or of a whole PEM export (read as PEM text).
/// `None` when it is not base64 of any of these.
fn bare_base64(bytes: &[u8], depth: u8) -> Option<CertificateFacts> {
    let decoded = decode_body(bytes).filter(|d| !d.is_empty())?;
    if decoded.first() == Some(&TAG_SEQUENCE) {
        let mut facts = CertificateFacts {
            kind: PemKind::Certificate,
            not_before: None,
            not_after: None,
            problem: None,
        };
        if is_der_key(&decoded) {
            facts.kind = PemKind::PrivateKey;
            return Some(facts);
        }
        match validity(&decoded) {
            Ok((not_before, not_after)) => {
                facts.not_before = Some(not_before);
                facts.not_after = Some(not_after);
            }
            Err(reason) => facts.problem = Some(format!("certificate could not be parsed ({reason})")),
        }
        return Some(facts);
    }
    if depth >= MAX_UNWRAP {
        return None;
    }
    // The base64 of a PEM export (`Bag Attributes ... -----BEGIN CERTIFICATE-----`).
    let text = std::str::from_utf8(&decoded).ok()?;
    find(text.as_bytes(), BEGIN, 0)?;
    Some(inspect_at(text, depth + 1))
}

/// Whether DER bytes are a private key or a key store rather than a certificate: PKCS#1,
/// SEC1, PKCS#8 and PKCS#12 all open their outer SEQUENCE with a small version INTEGER, where a
/// certificate opens it with its tbsCertificate SEQUENCE.
fn is_der_key(der: &[u8]) -> bool {
    let Ok(outer) = Der::new(der).expect(TAG_SEQUENCE, "not a SEQUENCE") else {
        return false;
    };
    matches!(Der::new(outer).next(), Ok((TAG_INTEGER, [0..=3])))
}

/// A BEGIN line: its label when well-formed, and where the body starts.
struct BeginLine<'a> {
    label: Option<&'a str>,
    body_start: usize,
}

/// Reads the BEGIN line whose `-----BEGIN ` marker starts at `at`. Lenient on the closing
/// dashes (vendors miscount them) and on the line break after them (single-line pastes).
fn begin_line(bytes: &[u8], at: usize) -> BeginLine<'_> {
    let (label, after) = label_at(bytes, at.saturating_add(BEGIN.len()));
    BeginLine {
        label,
        body_start: after,
    }
}

/// The label starting at `start` (up to the first dash or line break) and the position after
/// the dashes that close it. `None` for an empty, overlong or non-printable label.
fn label_at(bytes: &[u8], start: usize) -> (Option<&str>, usize) {
    let rest = bytes.get(start..).unwrap_or_default();
    // Bounded: a label longer than MAX_LABEL is rejected anyway.
    let len = rest
        .iter()
        .take(MAX_LABEL + 1)
        .position(|b| matches!(b, b'-' | b'\r' | b'\n'))
        .unwrap_or(rest.len().min(MAX_LABEL + 1));
    let raw = rest.get(..len).unwrap_or_default();
    let dashes = rest
        .get(len..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&b| b == b'-')
        .count();
    let after = start.saturating_add(len).saturating_add(dashes);
    let label = std::str::from_utf8(raw).ok().map(str::trim).filter(|label| {
        !label.is_empty() && label.len() <= MAX_LABEL && label.bytes().all(|b| (0x20..=0x7e).contains(&b))
    });
    (label, after)
}

/// Whether any BEGIN line names a private key, well-formed or not: even a truncated
/// `-----BEGIN RSA PRIVATE KEY` paste is a leaked key.
fn has_private_key(bytes: &[u8]) -> bool {
    let mut from = 0;
    while let Some(at) = find(bytes, BEGIN, from) {
        let start = at.saturating_add(BEGIN.len());
        let rest = bytes.get(start..).unwrap_or_default();
        let line_len = rest
            .iter()
            .take(MAX_BEGIN_LINE)
            .position(|&b| b == b'\n')
            .unwrap_or(rest.len().min(MAX_BEGIN_LINE));
        if find(rest.get(..line_len).unwrap_or_default(), b"PRIVATE KEY", 0).is_some() {
            return true;
        }
        from = start;
    }
    false
}

/// The BEGIN line of the first certificate block, if any.
fn first_certificate(bytes: &[u8]) -> Option<BeginLine<'_>> {
    let mut from = 0;
    while let Some(at) = find(bytes, BEGIN, from) {
        let begin = begin_line(bytes, at);
        if begin.label.is_some_and(|label| CERTIFICATE_LABELS.contains(&label)) {
            return Some(begin);
        }
        from = at.saturating_add(BEGIN.len());
    }
    None
}

/// The validity of the certificate block opened by `begin`, or why it cannot be read.
fn read_validity(bytes: &[u8], begin: &BeginLine<'_>) -> Result<(Date, Date), String> {
    let no_end = || "certificate has no END line".to_string();
    let end = find(bytes, END, begin.body_start).ok_or_else(no_end)?;
    // Another BEGIN before the END means this block was cut short.
    if find(bytes, BEGIN, begin.body_start).is_some_and(|next| next < end) {
        return Err(no_end());
    }
    if label_at(bytes, end.saturating_add(END.len())).0 != begin.label {
        return Err("certificate END line does not match its BEGIN line".to_string());
    }
    let body = bytes.get(begin.body_start..end).unwrap_or_default();
    let der = decode_body(body).ok_or_else(|| "certificate body is not valid base64".to_string())?;
    if der.is_empty() {
        return Err("certificate body is empty".to_string());
    }
    validity(&der).map_err(|reason| format!("certificate could not be parsed ({reason})"))
}

/// Decodes a PEM body: header lines (`Proc-Type: ...`) are skipped, whitespace ignored, padding
/// accepted only at the end. `None` for anything else.
fn decode_body(body: &[u8]) -> Option<Vec<u8>> {
    // Output is at most 3/4 of the input, which the caller caps at 1 MiB.
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    let (mut chars, mut padding) = (0usize, 0usize);
    for line in body.split(|&b| b == b'\n') {
        if line.contains(&b':') {
            continue;
        }
        for &b in line {
            let value = match b {
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => continue,
                b'=' => {
                    padding += 1;
                    continue;
                }
                b'A'..=b'Z' => b - b'A',
                b'a'..=b'z' => b - b'a' + 26,
                b'0'..=b'9' => b - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => return None,
            };
            if padding > 0 {
                return None;
            }
            chars += 1;
            acc = (acc << 6 | u32::from(value)) & 0xff_ffff;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
    }
    let complete = if padding == 0 {
        chars % 4 != 1
    } else {
        padding <= 2 && (chars + padding) % 4 == 0
    };
    complete.then_some(out)
}

/// A cursor over DER elements at one nesting level.
struct Der<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Der<'a> {
    fn new(data: &'a [u8]) -> Self {
        Der { data, pos: 0 }
    }

    fn peek_tag(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// The next element's tag and contents. Lengths are checked against the data left, so
    /// truncated or overlong lengths are errors, never reads out of bounds.
    fn next(&mut self) -> Result<(u8, &'a [u8]), &'static str> {
        let tag = self.peek_tag().ok_or("truncated")?;
        if tag & 0x1f == 0x1f {
            return Err("unsupported tag");
        }
        let first = *self.data.get(self.pos.saturating_add(1)).ok_or("truncated")?;
        let mut at = self.pos.saturating_add(2);
        let len = match first {
            0x00..=0x7f => usize::from(first),
            0x80 => return Err("indefinite length"),
            0x81..=0x84 => {
                let count = usize::from(first & 0x7f);
                let end = at.saturating_add(count);
                let bytes = self.data.get(at..end).ok_or("truncated")?;
                at = end;
                // At most 4 bytes: fits a u32, hence a usize on every supported target.
                let len = bytes.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b));
                usize::try_from(len).map_err(|_| "length too long")?
            }
            _ => return Err("length too long"),
        };
        let end = at.checked_add(len).ok_or("truncated")?;
        let contents = self.data.get(at..end).ok_or("truncated")?;
        self.pos = end;
        Ok((tag, contents))
    }

    /// The contents of the next element, which must have `tag`; `missing` names it otherwise.
    fn expect(&mut self, tag: u8, missing: &'static str) -> Result<&'a [u8], &'static str> {
        match self.next()? {
            (found, contents) if found == tag => Ok(contents),
            _ => Err(missing),
        }
    }
}

/// The validity dates of a DER certificate; the reason is short and quotes no bytes.
fn validity(der: &[u8]) -> Result<(Date, Date), &'static str> {
    let certificate = Der::new(der).expect(TAG_SEQUENCE, "not a SEQUENCE")?;
    let tbs = Der::new(certificate).expect(TAG_SEQUENCE, "no tbsCertificate")?;
    let mut tbs = Der::new(tbs);
    if tbs.peek_tag() == Some(TAG_VERSION) {
        tbs.next()?;
    }
    tbs.expect(TAG_INTEGER, "no serial number")?;
    tbs.expect(TAG_SEQUENCE, "no signature algorithm")?;
    tbs.expect(TAG_SEQUENCE, "no issuer")?;
    let mut times = Der::new(tbs.expect(TAG_SEQUENCE, "no validity")?);
    let not_before = time(times.next()?).ok_or("invalid notBefore")?;
    let not_after = time(times.next()?).ok_or("invalid notAfter")?;
    Ok((not_before, not_after))
}

/// The date of a UTCTime (`YYMMDDHHMM[SS]Z`) or GeneralizedTime (`YYYYMMDDHHMM[SS][.fff]Z`).
/// Only the date matters, but the hours and minutes must be digits too.
fn time((tag, contents): (u8, &[u8])) -> Option<Date> {
    // The longest real form is a GeneralizedTime with fractions and an offset.
    if contents.len() > 32 {
        return None;
    }
    // DER wants `Z`; a BER offset (`+hhmm`) is tolerated since only the date is used.
    let zoned = contents.ends_with(b"Z")
        || contents.len() >= 5 && matches!(contents.get(contents.len() - 5), Some(b'+' | b'-'));
    if !zoned {
        return None;
    }
    let (year, rest) = match tag {
        TAG_UTC_TIME => {
            digits(contents.get(..10)?)?;
            let yy = number(contents.get(..2)?)?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, contents.get(2..)?)
        }
        TAG_GENERALIZED_TIME => {
            digits(contents.get(..12)?)?;
            (number(contents.get(..4)?)?, contents.get(4..)?)
        }
        _ => return None,
    };
    let month = number(rest.get(..2)?)?;
    let day = number(rest.get(2..4)?)?;
    Date::from_ymd(year, month, day)
}

/// `Some` when `bytes` is a non-empty run of ASCII digits.
fn digits(bytes: &[u8]) -> Option<&[u8]> {
    (!bytes.is_empty() && bytes.iter().all(u8::is_ascii_digit)).then_some(bytes)
}

/// The value of a run of at most 4 ASCII digits (so no overflow).
fn number(bytes: &[u8]) -> Option<u32> {
    let bytes = digits(bytes).filter(|b| b.len() <= 4)?;
    Some(bytes.iter().fold(0, |acc, &d| acc * 10 + u32::from(d - b'0')))
}

/// The first position of `needle` in `haystack` at or after `from`.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let rest = haystack.get(from..)?;
    rest.windows(needle.len())
        .position(|window| window == needle)
        .map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;

    // Throwaway test material, generated with openssl 3.0 for these tests only.

    /// v3 self-signed EC certificate, UTCTime both ends: 2020-01-01 00:00:00Z to 2021-01-01
    /// 00:00:00Z (`openssl ca -selfsign -startdate 20200101000000Z -enddate 20210101000000Z`).
    const CERT_2020: &str = "-----BEGIN CERTIFICATE-----
MIIBOTCB4KADAgECAgIQAjAKBggqhkjOPQQDAjAPMQ0wCwYDVQQDDAR0ZXN0MB4X
DTIwMDEwMTAwMDAwMFoXDTIxMDEwMTAwMDAwMFowDzENMAsGA1UEAwwEdGVzdDBZ
MBMGByqGSM49AgEGCCqGSM49AwEHA0IABLgGhyLZaU7X/l6y1CLroirEmTguwdAU
68nNKKUdsU1Z4LIelzmpSzQjkjpJzkfCoUBE15CScvcbznhxtL4OvoujLDAqMAkG
A1UdEwQCMAAwHQYDVR0OBBYEFJYJnZEu+STdbZf3/WUGSXjHe4XWMAoGCCqGSM49
BAMCA0gAMEUCIQCmvqTjiQ024PRAD3htk5UkG96fy94kVk8vJPoxhXTBkAIgQ3xT
zjEs9YL5QjArsj/uuGlCHSwB/qeodRYCoGYVCCc=
-----END CERTIFICATE-----
";

    /// v1 certificate (no version field): notBefore UTCTime 200101000000Z, notAfter
    /// GeneralizedTime 20700101000000Z (checked with `openssl asn1parse`).
    const CERT_2070: &str = "-----BEGIN CERTIFICATE-----
MIIBBzCBrwICEAEwCgYIKoZIzj0EAwIwDzENMAsGA1UEAwwEdGVzdDAgFw0yMDAx
MDEwMDAwMDBaGA8yMDcwMDEwMTAwMDAwMFowDzENMAsGA1UEAwwEdGVzdDBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABLgGhyLZaU7X/l6y1CLroirEmTguwdAU68nN
KKUdsU1Z4LIelzmpSzQjkjpJzkfCoUBE15CScvcbznhxtL4OvoswCgYIKoZIzj0E
AwIDRwAwRAIgZNohlw7rdJB4Jt2xf8KH2ZAJznQo2eYQ82hg+WyGKr8CICMWqChs
iODFYg4lS1HDDkuBamldm8xf6k1KHR9YtFNl
-----END CERTIFICATE-----
";

    /// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2
    /// -subj /CN=test`: notBefore 2026-11-23 12:20:19Z, notAfter 2026-11-25 12:20:19Z.
    const CERT_TWO_DAYS: &str = "-----BEGIN CERTIFICATE-----
MIIBcjCCARmgAwIBAgIUX69+p3F7+lP3abqxpJhzTAIJ228wCgYIKoZIzj0EAwIw
DzENMAsGA1UEAwwEdGVzdDAeFw0yNjExMjMxMjIwMTlaFw0yNjExMjUxMjIwMTla
MA8xDTALBgNVBAMMBHRlc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATArDdE
nQPYICjr0X5bkQumZJqYJ5qLoSBHNEYfTka/iKt4QV0IQfYV/tpC4PKS7QdX7vl/
SE1Fh8hSNEmIeCMUo1MwUTAdBgNVHQ4EFgQUPaiqASskK3QnQfGiuj9O1uTUYKEw
HwYDVR0jBBgwFoAUPaiqASskK3QnQfGiuj9O1uTUYKEwDwYDVR0TAQH/BAUwAwEB
/zAKBggqhkjOPQQDAgNHADBEAiB8M2CDBbu+Wjukfzg7MEXwY3wDKmLYk+Re5yha
mOlMEQIgHeCBaevVjxrhtezd0pPSx+3Wqt2Aqpe0H6zE8o/Itrk=
-----END CERTIFICATE-----
";

    /// `openssl ecparam -genkey -name prime256v1 -noout` (SEC1 form).
    const EC_KEY: &str = "-----BEGIN EC PRIVATE KEY-----
AKEKEYnotARealPrivateKeyTestDataOnlyFAKEKEYnotARealPrivateKeyTes
KEKEYnotARealPrivateKeyTestDataOnlyFAKEKEYnotARealPrivateKeyTest
EKEYnotARealPrivateKeyTestDataOnlyFA
-----END EC PRIVATE KEY-----
";

    /// The same key as PKCS#8 (`openssl pkcs8 -topk8 -nocrypt`).
    const PKCS8_KEY: &str = "-----BEGIN PRIVATE KEY-----
KEYnotARealPrivateKeyTestDataOnlyFAKEKEYnotARealPrivateKeyTestDa
EYnotARealPrivateKeyTestDataOnlyFAKEKEYnotARealPrivateKeyTestDat
YnotARealPrivateKeyTestDataOnlyFAKEKEYnotARealPrivateKey
-----END PRIVATE KEY-----
";

    const PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEuAaHItlpTtf+XrLUIuuiKsSZOC7B
0BTryc0opR2xTVngsh6XOalLNCOSOknOR8KhQETXkJJy9xvOeHG0vg6+iw==
-----END PUBLIC KEY-----
";

    fn date(s: &str) -> Option<Date> {
        Some(Date::parse(s).unwrap())
    }

    fn problem(text: &str) -> String {
        inspect(text).problem.unwrap_or_default()
    }

    /// The base64 body of a PEM block, without whitespace.
    fn body(pem: &str) -> String {
        pem.lines().filter(|l| !l.starts_with("-----")).collect()
    }

    fn base64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    fn pem(label: &str, der: &[u8]) -> String {
        format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", base64(der))
    }

    fn der_of(pem: &str) -> Vec<u8> {
        decode_body(body(pem).as_bytes()).unwrap()
    }

    /// A DER element with a short- or long-form length.
    fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = contents.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|&b| b == 0).collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
        out.extend_from_slice(contents);
        out
    }

    /// A minimal certificate skeleton around the given validity times.
    fn cert_with_times(not_before: &[u8], not_after: &[u8]) -> Vec<u8> {
        let mut tbs = tlv(TAG_INTEGER, &[1]);
        tbs.extend(tlv(TAG_SEQUENCE, &[]));
        tbs.extend(tlv(TAG_SEQUENCE, &[]));
        tbs.extend(tlv(TAG_SEQUENCE, &[not_before, not_after].concat()));
        tbs.extend(tlv(TAG_SEQUENCE, &[]));
        tlv(TAG_SEQUENCE, &tlv(TAG_SEQUENCE, &tbs))
    }

    #[test]
    fn reads_utc_time_validity_of_a_v3_certificate() {
        let facts = inspect(CERT_2020);
        assert_eq!(facts.kind, PemKind::Certificate);
        assert_eq!(facts.not_before, date("2020-01-01"));
        assert_eq!(facts.not_after, date("2021-01-01"));
        assert_eq!(facts.problem, None);
    }

    #[test]
    fn reads_generalized_time_of_a_v1_certificate() {
        let facts = inspect(CERT_2070);
        assert_eq!(facts.kind, PemKind::Certificate);
        assert_eq!(facts.not_before, date("2020-01-01"));
        assert_eq!(facts.not_after, date("2070-01-01"));
        assert_eq!(facts.problem, None);
    }

    #[test]
    fn reads_a_certificate_made_by_openssl_req() {
        let facts = inspect(CERT_TWO_DAYS);
        assert_eq!(facts.kind, PemKind::Certificate);
        assert_eq!(facts.not_before, date("2026-11-23"));
        assert_eq!(facts.not_after, date("2026-11-25"));
        assert_eq!(facts.problem, None);
    }

    #[test]
    fn other_certificate_labels_are_certificates() {
        for label in ["X509 CERTIFICATE", "TRUSTED CERTIFICATE"] {
            let facts = inspect(&pem(label, &der_of(CERT_2020)));
            assert_eq!(facts.kind, PemKind::Certificate, "{label}");
            assert_eq!(facts.not_after, date("2021-01-01"), "{label}");
        }
    }

    #[test]
    fn private_keys_are_private_keys() {
        for text in [EC_KEY, PKCS8_KEY] {
            let facts = inspect(text);
            assert_eq!(facts.kind, PemKind::PrivateKey);
            assert_eq!((facts.not_before, facts.not_after, facts.problem), (None, None, None));
        }
        for label in ["RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "OPENSSH PRIVATE KEY"] {
            assert_eq!(inspect(&pem(label, b"not a key")).kind, PemKind::PrivateKey, "{label}");
        }
        // A traditional encrypted key, headers and all.
        let encrypted = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                         DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n\
                         AAAA\n-----END RSA PRIVATE KEY-----\n";
        assert_eq!(inspect(encrypted).kind, PemKind::PrivateKey);
        // A key cut off right after its BEGIN line is still a leaked key.
        assert_eq!(inspect("-----BEGIN RSA PRIVATE KEY").kind, PemKind::PrivateKey);
    }

    #[test]
    fn a_certificate_followed_by_its_key_is_a_leaked_key() {
        let facts = inspect(&format!("{CERT_2020}{EC_KEY}"));
        assert_eq!(facts.kind, PemKind::PrivateKey);
        // The certificate is still read, so an expired one can be reported too.
        assert_eq!(facts.not_after, date("2021-01-01"));
        assert_eq!(facts.problem, None);
        let facts = inspect(&format!("{PKCS8_KEY}\n{CERT_2070}"));
        assert_eq!(facts.kind, PemKind::PrivateKey);
        assert_eq!(facts.not_after, date("2070-01-01"));
    }

    #[test]
    fn the_first_certificate_of_a_chain_is_read() {
        let facts = inspect(&format!("{CERT_2070}{CERT_2020}"));
        assert_eq!(facts.kind, PemKind::Certificate);
        assert_eq!(facts.not_after, date("2070-01-01"));
    }

    #[test]
    fn other_blocks_keep_their_label() {
        let facts = inspect(PUBLIC_KEY);
        assert_eq!(facts.kind, PemKind::Other("PUBLIC KEY".to_string()));
        assert_eq!((facts.not_before, facts.problem), (None, None));
        assert_eq!(
            inspect(&pem("CERTIFICATE REQUEST", b"x")).kind,
            PemKind::Other("CERTIFICATE REQUEST".to_string())
        );
    }

    #[test]
    fn placeholders_are_not_pem() {
        for text in ["REPLACE_ME", "<certificate>", "AAAA", "c2VjcmV0IHRleHQ="] {
            let facts = inspect(text);
            assert_eq!(facts.kind, PemKind::NotPem, "{text}");
            assert_eq!(
                facts.problem.as_deref(),
                Some("not a certificate: neither PEM text nor base64 DER")
            );
            assert_eq!((facts.not_before, facts.not_after), (None, None));
        }
        let facts = inspect("-----BEGIN -----\nAAAA\n-----END -----");
        assert_eq!(facts.kind, PemKind::NotPem);
        assert_eq!(
            facts.problem.as_deref(),
            Some("not a PEM certificate (malformed BEGIN line)")
        );
    }

    #[test]
    fn bare_base64_der_is_read_as_a_retrieve_writes_it() {
        // One line, as a Metadata API retrieve writes it; wrapped, as editors do.
        let one_line = base64(&der_of(CERT_2020));
        let facts = inspect(&one_line);
        assert_eq!(facts.kind, PemKind::Certificate);
        assert_eq!(
            (facts.not_before, facts.not_after),
            (date("2020-01-01"), date("2021-01-01"))
        );
        assert_eq!(facts.problem, None);
        let wrapped = body(CERT_2070)
            .as_bytes()
            .chunks(64)
            .map(|c| format!("        {}\r\n", std::str::from_utf8(c).unwrap()))
            .collect::<String>();
        assert_eq!(inspect(&wrapped).not_after, date("2070-01-01"));
        // A truncated one is a certificate that cannot be read, not a placeholder.
        let facts = inspect("MIIBOTCB4KADAgECAgIQAjAKBggqhkjOPQQDAjAP");
        assert_eq!(facts.kind, PemKind::Certificate);
        assert_eq!(
            facts.problem.as_deref(),
            Some("certificate could not be parsed (truncated)")
        );
    }

    #[test]
    fn base64_of_a_pem_export_with_bag_attributes_is_unwrapped() {
        let export = format!(
            "Bag Attributes\n    friendlyName: ledger jwt\n    localKeyID: 01 02 03 \nsubject=CN = test\nissuer=CN = test\n{CERT_2070}"
        );
        // As PEM text, Bag Attributes first.
        assert_eq!(inspect(&export).not_after, date("2070-01-01"));
        // As base64 of that text.
        let facts = inspect(&base64(export.as_bytes()));
        assert_eq!(facts.kind, PemKind::Certificate);
        assert_eq!(
            (facts.not_before, facts.not_after),
            (date("2020-01-01"), date("2070-01-01"))
        );
        // A wrapped export that holds the key too is a leaked key.
        let with_key = format!("{export}{PKCS8_KEY}");
        assert_eq!(inspect(&base64(with_key.as_bytes())).kind, PemKind::PrivateKey);
        // Base64 of base64 of base64 of PEM: deeper than any tool writes; not unwrapped.
        let thrice = base64(base64(base64(CERT_2020.as_bytes()).as_bytes()).as_bytes());
        assert_eq!(inspect(&thrice).kind, PemKind::NotPem);
    }

    #[test]
    fn bare_base64_der_keys_are_private_keys() {
        // PKCS#8 (version 0, then the algorithm), PKCS#1 RSA, SEC1 EC (version 1), PKCS#12 (3).
        let pkcs8 = tlv(TAG_SEQUENCE, &[tlv(TAG_INTEGER, &[0]), tlv(TAG_SEQUENCE, &[])].concat());
        let rsa = tlv(TAG_SEQUENCE, &[tlv(TAG_INTEGER, &[0]), tlv(TAG_INTEGER, &[5])].concat());
        let sec1 = tlv(TAG_SEQUENCE, &[tlv(TAG_INTEGER, &[1]), tlv(0x04, &[7; 32])].concat());
        let pkcs12 = tlv(TAG_SEQUENCE, &[tlv(TAG_INTEGER, &[3]), tlv(TAG_SEQUENCE, &[])].concat());
        for der in [pkcs8, rsa, sec1, pkcs12] {
            let facts = inspect(&base64(&der));
            assert_eq!(facts.kind, PemKind::PrivateKey, "{der:?}");
            assert_eq!(facts.problem, None);
        }
    }

    #[test]
    fn empty_text_is_not_pem() {
        for text in ["", "  \n\t\r\n"] {
            let facts = inspect(text);
            assert_eq!(facts.kind, PemKind::NotPem);
            assert_eq!(facts.problem.as_deref(), Some("certificate is empty"));
        }
    }

    #[test]
    fn redacted_and_bad_base64_bodies_are_reported() {
        let redacted = "-----BEGIN CERTIFICATE-----\nMIIC...redacted...\n-----END CERTIFICATE-----";
        let facts = inspect(redacted);
        assert_eq!(facts.kind, PemKind::Certificate);
        assert_eq!(facts.problem.as_deref(), Some("certificate body is not valid base64"));
        assert_eq!(facts.not_after, None);
        for body in ["REPLACE_ME", "AAAA=AAA", "AAAAA", "AA===", "AAA\u{e9}"] {
            let text = format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----");
            assert_eq!(problem(&text), "certificate body is not valid base64", "{body}");
        }
        let empty = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----";
        assert_eq!(problem(empty), "certificate body is empty");
    }

    #[test]
    fn truncated_certificates_cannot_be_parsed() {
        // Drop the last two body lines: base64 still decodes, the DER is cut short.
        let lines: Vec<&str> = CERT_2020.lines().collect();
        let truncated = [&lines[..lines.len() - 3], &lines[lines.len() - 1..]]
            .concat()
            .join("\n");
        let facts = inspect(&truncated);
        assert_eq!(facts.kind, PemKind::Certificate);
        assert_eq!(
            facts.problem.as_deref(),
            Some("certificate could not be parsed (truncated)")
        );
        assert_eq!((facts.not_before, facts.not_after), (None, None));
        // No END line at all, or a different one.
        assert_eq!(
            problem(&CERT_2020.replace("-----END CERTIFICATE-----", "")),
            "certificate has no END line"
        );
        assert_eq!(
            problem(&CERT_2020.replace("END CERTIFICATE", "END PUBLIC KEY")),
            "certificate END line does not match its BEGIN line"
        );
        let cut = CERT_2020.replace("-----END CERTIFICATE-----", "");
        assert_eq!(problem(&format!("{cut}{CERT_2070}")), "certificate has no END line");
    }

    #[test]
    fn crlf_indentation_and_single_line_pastes_are_read() {
        let crlf = CERT_2020.replace('\n', "\r\n");
        assert_eq!(inspect(&crlf).not_after, date("2021-01-01"));
        let indented: String = CERT_2070.lines().map(|l| format!("        {l}\n")).collect();
        assert_eq!(inspect(&indented).not_after, date("2070-01-01"));
        let single_line = CERT_2020.trim().replace('\n', " ");
        assert_eq!(inspect(&single_line).not_after, date("2021-01-01"));
        let no_spaces = CERT_2020.replace('\n', "");
        assert_eq!(inspect(&no_spaces).not_after, date("2021-01-01"));
        let headers = CERT_2020.replacen("-----\n", "-----\nComment: pasted by a vendor\n\n", 1);
        assert_eq!(inspect(&headers).not_after, date("2021-01-01"));
        let surrounded = format!("<certificate>Subject: CN=test\n{CERT_2020}trailing text</certificate>");
        assert_eq!(inspect(&surrounded).not_before, date("2020-01-01"));
        let dashes = CERT_2020.replace("CERTIFICATE-----", "CERTIFICATE----");
        assert_eq!(inspect(&dashes).not_after, date("2021-01-01"));
    }

    #[test]
    fn unpadded_base64_is_accepted() {
        let der = der_of(CERT_2070);
        let text = pem("CERTIFICATE", &der).replace('=', "");
        assert_eq!(inspect(&text).not_after, date("2070-01-01"));
    }

    #[test]
    fn time_formats() {
        let utc = |s: &str| tlv(TAG_UTC_TIME, s.as_bytes());
        let gen = |s: &str| tlv(TAG_GENERALIZED_TIME, s.as_bytes());
        let read = |nb: Vec<u8>, na: Vec<u8>| inspect(&pem("CERTIFICATE", &cert_with_times(&nb, &na)));

        let facts = read(utc("500101000000Z"), utc("491231235959Z"));
        assert_eq!(
            (facts.not_before, facts.not_after),
            (date("1950-01-01"), date("2049-12-31"))
        );
        let facts = read(utc("9902281200Z"), gen("20500101000000.123Z"));
        assert_eq!(
            (facts.not_before, facts.not_after),
            (date("1999-02-28"), date("2050-01-01"))
        );

        assert_eq!(
            read(utc("201301000000Z"), utc("210101000000Z")).problem.as_deref(),
            Some("certificate could not be parsed (invalid notBefore)")
        );
        for bad in [
            utc("210229000000Z"),
            utc("2101010000"),
            utc("21010100"),
            gen("2021010100Z"),
            gen(""),
        ] {
            assert_eq!(
                problem(&pem("CERTIFICATE", &cert_with_times(&utc("200101000000Z"), &bad))),
                "certificate could not be parsed (invalid notAfter)"
            );
        }
        let wrong_tag = tlv(TAG_INTEGER, b"200101000000Z");
        assert_eq!(
            read(wrong_tag, utc("210101000000Z")).problem.as_deref(),
            Some("certificate could not be parsed (invalid notBefore)")
        );
        let one_time = pem("CERTIFICATE", &cert_with_times(&utc("200101000000Z"), &[]));
        assert_eq!(problem(&one_time), "certificate could not be parsed (truncated)");
    }

    #[test]
    fn malformed_der_is_reported_not_panicked_on() {
        let cases: [(&[u8], &str); 7] = [
            (&[0x30, 0x80, 0x00, 0x00], "indefinite length"),
            (&[0x30, 0x85, 1, 0, 0, 0, 0], "length too long"),
            (&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30], "truncated"),
            (&[0x30, 0x82, 0x01], "truncated"),
            (&[0x30], "truncated"),
            (&[0x1f, 0x01, 0x00], "unsupported tag"),
            (&[0x02, 0x01, 0x00], "not a SEQUENCE"),
        ];
        for (der, reason) in cases {
            let facts = inspect(&pem("CERTIFICATE", der));
            assert_eq!(facts.kind, PemKind::Certificate);
            assert_eq!(
                facts.problem,
                Some(format!("certificate could not be parsed ({reason})")),
                "{der:?}"
            );
        }
        // Deep nesting costs nothing: the walk never recurses.
        let mut deep = Vec::new();
        for _ in 0..10_000 {
            deep.extend([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]);
        }
        assert_eq!(
            problem(&pem("CERTIFICATE", &deep)),
            "certificate could not be parsed (truncated)"
        );
        // A tbsCertificate missing its fields.
        let empty_tbs = tlv(TAG_SEQUENCE, &tlv(TAG_SEQUENCE, &[]));
        assert_eq!(
            problem(&pem("CERTIFICATE", &empty_tbs)),
            "certificate could not be parsed (truncated)"
        );
        let no_serial = tlv(TAG_SEQUENCE, &tlv(TAG_SEQUENCE, &tlv(TAG_SEQUENCE, &[])));
        assert_eq!(
            problem(&pem("CERTIFICATE", &no_serial)),
            "certificate could not be parsed (no serial number)"
        );
    }

    #[test]
    fn problems_never_quote_the_body() {
        let der = der_of(CERT_2020);
        for len in [0, 1, 10, 40, 100] {
            let text = pem("CERTIFICATE", &der[..len]);
            let problem = problem(&text);
            assert!(!problem.contains("MII") && problem.len() < 80, "{problem}");
        }
        let problem = problem("-----BEGIN CERTIFICATE-----\nMIIC-secret-\n-----END CERTIFICATE-----");
        assert!(!problem.contains("secret"), "{problem}");
    }

    #[test]
    fn survives_truncation_and_mutation() {
        // Every prefix of the body, as text.
        for source in [CERT_2020, CERT_2070, CERT_TWO_DAYS] {
            let body = body(source);
            for end in 0..=body.len() {
                let text = format!(
                    "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----",
                    &body[..end]
                );
                let facts = inspect(&text);
                assert_eq!(facts.kind, PemKind::Certificate);
                // Only dropping the padding leaves a readable certificate.
                let complete = body[end..].bytes().all(|b| b == b'=');
                assert_eq!(facts.problem.is_none(), complete, "prefix {end}");
            }
            // Every prefix of the whole text, cut anywhere (markers included).
            for end in 0..=source.len() {
                inspect(&source[..end]);
            }
            // Every prefix of the DER, re-encoded.
            let der = der_of(source);
            for end in 0..der.len() {
                assert!(
                    inspect(&pem("CERTIFICATE", &der[..end])).problem.is_some(),
                    "DER prefix {end}"
                );
            }
            // Every byte of the DER set to a few interesting values.
            for i in 0..der.len() {
                for value in [0x00, 0x7f, 0x80, 0x81, 0x84, 0x85, 0xff] {
                    let mut mutated = der.clone();
                    mutated[i] = value;
                    inspect(&pem("CERTIFICATE", &mutated));
                }
            }
        }
        // Random mutations of DER and of text, deterministic.
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let der = der_of(CERT_TWO_DAYS);
        let text = format!("{CERT_2020}{EC_KEY}");
        for _ in 0..5_000 {
            let mut mutated = der.clone();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(mutated.len());
                mutated[i] = rng.next() as u8;
            }
            mutated.truncate(1 + rng.below(mutated.len()));
            let facts = inspect(&pem("CERTIFICATE", &mutated));
            if let (Some(nb), Some(na)) = (facts.not_before, facts.not_after) {
                assert!(Date::parse(&nb.to_string()).is_some() && Date::parse(&na.to_string()).is_some());
            }

            let mut bytes = text.clone().into_bytes();
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(bytes.len());
                match rng.below(3) {
                    0 => bytes[i] = rng.next() as u8,
                    1 => {
                        bytes.remove(i);
                    }
                    _ => bytes.insert(i, b"-=:\r\n AZ"[rng.below(8)]),
                }
            }
            inspect(&String::from_utf8_lossy(&bytes));
        }
        // Pure garbage, including many BEGIN markers on one line.
        for _ in 0..200 {
            let garbage: Vec<u8> = (0..rng.below(2000)).map(|_| rng.next() as u8).collect();
            inspect(&String::from_utf8_lossy(&garbage));
        }
        inspect(&"-----BEGIN ".repeat(10_000));
        inspect(&"-----BEGIN CERTIFICATE-----".repeat(4_000));
    }
}
