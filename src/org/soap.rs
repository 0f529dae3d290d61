//! The SOAP Metadata API's `readMetadata` (reference/salesforce.md 3.8): the request
//! envelope, and the answer read into one `ConnectedApp` document per record, so the
//! `*.connectedApp-meta.xml` reader reads apps from an org exactly as it reads files.
//!
//! The answer is untrusted: a DOCTYPE is refused (no entity is ever expanded), depth and
//! element counts are bounded, and secret elements (`consumerSecret`, private keys,
//! passwords) are dropped here, at the door, and only their names reported.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::http::BodyProblem;
use super::secret::Secret;
use crate::inputs::xml::escape_text;

/// `readMetadata` takes at most 10 full names per call.
pub const READ_METADATA_MAX_NAMES: usize = 10;

/// The metadata namespace every rewritten record declares.
pub const METADATA_NS: &str = "http://soap.sforce.com/2006/04/metadata";

const MAX_DEPTH: usize = 40;

/// The `readMetadata` request for `ConnectedApp` records named `full_names` (at most 10).
pub fn read_metadata_envelope(session: &Secret, full_names: &[String]) -> String {
    let mut names = String::new();
    for n in full_names {
        names.push_str("<met:fullNames>");
        names.push_str(&escape_text(n));
        names.push_str("</met:fullNames>");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:met=\"{METADATA_NS}\">\
<soapenv:Header><met:SessionHeader><met:sessionId>{}</met:sessionId></met:SessionHeader></soapenv:Header>\
<soapenv:Body><met:readMetadata><met:type>ConnectedApp</met:type>{names}</met:readMetadata></soapenv:Body>\
</soapenv:Envelope>",
        escape_text(session.expose())
    )
}

/// One record of a `readMetadata` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataRecord {
    /// `fullName`; None for an empty record (no such app).
    pub full_name: Option<String>,
    /// The record as a `<ConnectedApp>` document, secrets removed.
    pub xml: String,
    /// Names of the secret elements dropped from it.
    pub dropped: Vec<String>,
}

/// Whether an element carries a secret: the consumer secret, private keys, passwords and
/// the like. Settings about secrets (`isConsumerSecretOptional`,
/// `isSecretRequiredForRefreshToken`, ...) are booleans the audit needs and stay.
pub fn is_secret_element(local_name: &str) -> bool {
    let n = local_name.to_ascii_lowercase();
    if n.starts_with("is") {
        return false;
    }
    n.contains("secret") || n.contains("password") || n.contains("privatekey") || n == "key" || n.ends_with("token")
}

fn looks_like_private_key(text: &str) -> bool {
    text.contains("PRIVATE KEY-----")
}

fn local(name: &[u8]) -> String {
    let s = String::from_utf8_lossy(name);
    match s.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => s.into_owned(),
    }
}

fn malformed(e: impl std::fmt::Display) -> BodyProblem {
    // Positions only: quick-xml messages may quote input.
    let _ = e;
    BodyProblem::Malformed("not well-formed XML".to_string())
}

struct Building {
    depth_in_record: usize,
    xml: String,
    full_name: Option<String>,
    dropped: Vec<String>,
    /// Depth (within the record) of a secret element being skipped.
    skipping: Option<usize>,
    /// Text of the element just opened (to capture `fullName` and spot private keys).
    open: Vec<(String, String)>,
}

/// Reads a `readMetadata` answer: its records, or the SOAP fault it carries.
pub fn parse_read_metadata(body: &[u8]) -> Result<Vec<MetadataRecord>, BodyProblem> {
    let mut reader = Reader::from_reader(body);
    reader.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut records = Vec::new();
    let mut current: Option<Building> = None;
    let mut fault_code: Option<String> = None;
    let mut fault_string: Option<String> = None;
    let mut in_fault_field: Option<String> = None;
    let mut seen_envelope = false;
    loop {
        let event = reader.read_event_into(&mut buf).map_err(malformed)?;
        match event {
            Event::DocType(_) => {
                return Err(BodyProblem::Refused(
                    "the SOAP answer declares a DOCTYPE (refused: entities are never expanded)".to_string(),
                ))
            }
            Event::Start(e) => {
                let name = local(e.name().as_ref());
                if stack.len() >= MAX_DEPTH {
                    return Err(BodyProblem::Refused("the SOAP answer nests too deep".to_string()));
                }
                if name == "Envelope" {
                    seen_envelope = true;
                }
                if let Some(b) = current.as_mut() {
                    b.depth_in_record += 1;
                    if b.skipping.is_none() && is_secret_element(&name) {
                        b.skipping = Some(b.depth_in_record);
                        if !b.dropped.contains(&name) {
                            b.dropped.push(name.clone());
                        }
                    }
                    if b.skipping.is_none() {
                        b.xml.push('<');
                        b.xml.push_str(&name);
                        b.xml.push('>');
                    }
                    b.open.push((name.clone(), String::new()));
                } else if name == "records" && stack.last().map(String::as_str) == Some("result") {
                    current = Some(Building {
                        depth_in_record: 0,
                        xml: String::new(),
                        full_name: None,
                        dropped: Vec::new(),
                        skipping: None,
                        open: Vec::new(),
                    });
                } else if matches!(name.as_str(), "faultcode" | "faultstring") {
                    in_fault_field = Some(name.clone());
                }
                stack.push(name);
            }
            Event::Empty(e) => {
                let name = local(e.name().as_ref());
                if let Some(b) = current.as_mut() {
                    if b.skipping.is_none() {
                        if is_secret_element(&name) {
                            if !b.dropped.contains(&name) {
                                b.dropped.push(name);
                            }
                        } else {
                            b.xml.push('<');
                            b.xml.push_str(&name);
                            b.xml.push_str("/>");
                        }
                    }
                } else if name == "records" && stack.last().map(String::as_str) == Some("result") {
                    records.push(MetadataRecord {
                        full_name: None,
                        xml: String::new(),
                        dropped: Vec::new(),
                    });
                }
            }
            Event::End(_) => {
                stack.pop();
                in_fault_field = None;
                let mut finished = false;
                if let Some(b) = current.as_mut() {
                    if b.depth_in_record == 0 {
                        finished = true;
                    } else {
                        let (name, text) = b.open.pop().unwrap_or_default();
                        if b.skipping.is_none() && looks_like_private_key(&text) {
                            // A key in an element not named as one: cut the element's text.
                            if let Some(at) = b.xml.rfind(&format!("<{name}>")) {
                                b.xml.truncate(at);
                                if !b.dropped.contains(&name) {
                                    b.dropped.push(name.clone());
                                }
                                b.depth_in_record -= 1;
                                continue;
                            }
                        }
                        if b.skipping.is_none() {
                            b.xml.push_str("</");
                            b.xml.push_str(&name);
                            b.xml.push('>');
                            if b.depth_in_record == 1 && name == "fullName" {
                                b.full_name = Some(text.trim().to_string());
                            }
                        }
                        if b.skipping == Some(b.depth_in_record) {
                            b.skipping = None;
                        }
                        b.depth_in_record -= 1;
                    }
                }
                if finished {
                    if let Some(b) = current.take() {
                        let xml = format!(
                            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ConnectedApp xmlns=\"{METADATA_NS}\">{}</ConnectedApp>\n",
                            b.xml
                        );
                        records.push(MetadataRecord {
                            full_name: b.full_name.filter(|n| !n.is_empty()),
                            xml,
                            dropped: b.dropped,
                        });
                    }
                }
            }
            Event::Text(t) => {
                let text = t.decode().map_err(malformed)?.into_owned();
                push_text(&mut current, &in_fault_field, &mut fault_code, &mut fault_string, &text);
            }
            Event::CData(t) => {
                let text = t.decode().map_err(malformed)?.into_owned();
                push_text(&mut current, &in_fault_field, &mut fault_code, &mut fault_string, &text);
            }
            Event::GeneralRef(r) => {
                let text = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match String::from_utf8_lossy(r.as_ref()).as_ref() {
                        "lt" => "<".to_string(),
                        "gt" => ">".to_string(),
                        "amp" => "&".to_string(),
                        "apos" => "'".to_string(),
                        "quot" => "\"".to_string(),
                        _ => return Err(malformed("undefined entity")),
                    },
                    Err(e) => return Err(malformed(e)),
                };
                push_text(&mut current, &in_fault_field, &mut fault_code, &mut fault_string, &text);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !stack.is_empty() || current.is_some() || !seen_envelope {
        return Err(BodyProblem::Malformed("the SOAP answer is incomplete".to_string()));
    }
    if let Some(code) = fault_code {
        let code = code.trim();
        let code = code.rsplit_once(':').map(|(_, c)| c).unwrap_or(code).to_string();
        return Err(BodyProblem::Fault {
            code,
            message: fault_string.unwrap_or_default().trim().to_string(),
        });
    }
    Ok(records)
}

fn push_text(
    current: &mut Option<Building>,
    in_fault_field: &Option<String>,
    fault_code: &mut Option<String>,
    fault_string: &mut Option<String>,
    text: &str,
) {
    if let Some(b) = current.as_mut() {
        if let Some(open) = b.open.last_mut() {
            open.1.push_str(text);
        }
        if b.skipping.is_none() {
            b.xml.push_str(&escape_text(text));
        }
        return;
    }
    match in_fault_field.as_deref() {
        Some("faultcode") => fault_code.get_or_insert_with(String::new).push_str(text),
        Some("faultstring") => fault_string.get_or_insert_with(String::new).push_str(text),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://soap.sforce.com/2006/04/metadata" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><readMetadataResponse><result><records xsi:type="ConnectedApp"><fullName>hlx__Helix</fullName><label>A &amp; B</label><oauthConfig><callbackUrl>https://x.example/cb</callbackUrl><consumerKey>3MVG9FAKE</consumerKey><consumerSecret>SECRET-CANARY-1</consumerSecret><isConsumerSecretOptional>false</isConsumerSecretOptional><scopes>Api</scopes><scopes>Full</scopes></oauthConfig><certificate>-----BEGIN PRIVATE KEY-----
SECRET-KEY
-----END PRIVATE KEY-----</certificate></records><records xsi:type="ConnectedApp"/></result></readMetadataResponse></soapenv:Body></soapenv:Envelope>"#;

    #[test]
    fn records_are_rewritten_without_secrets() {
        let recs = parse_read_metadata(ANSWER.as_bytes()).unwrap();
        assert_eq!(recs.len(), 2);
        let r = &recs[0];
        assert_eq!(r.full_name.as_deref(), Some("hlx__Helix"));
        assert!(!r.xml.contains("SECRET"), "{}", r.xml);
        assert!(r
            .xml
            .contains("<isConsumerSecretOptional>false</isConsumerSecretOptional>"));
        assert!(r.xml.contains("<label>A &amp; B</label>"));
        assert!(r.xml.starts_with("<?xml"));
        assert!(r
            .xml
            .contains("<ConnectedApp xmlns=\"http://soap.sforce.com/2006/04/metadata\">"));
        assert_eq!(r.dropped, vec!["consumerSecret".to_string(), "certificate".to_string()]);
        assert_eq!(recs[1].full_name, None);
    }

    #[test]
    fn faults_doctype_and_cut_answers() {
        let fault = r#"<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>sf:INSUFFICIENT_ACCESS</faultcode><faultstring>INSUFFICIENT_ACCESS: no</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#;
        assert_eq!(
            parse_read_metadata(fault.as_bytes()),
            Err(BodyProblem::Fault {
                code: "INSUFFICIENT_ACCESS".into(),
                message: "INSUFFICIENT_ACCESS: no".into()
            })
        );
        let doctype = format!(
            "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"boom\">]>{}",
            &ANSWER[38..]
        );
        assert!(matches!(
            parse_read_metadata(doctype.as_bytes()),
            Err(BodyProblem::Refused(_))
        ));
        let cut = &ANSWER[..ANSWER.len() / 2];
        assert!(matches!(
            parse_read_metadata(cut.as_bytes()),
            Err(BodyProblem::Malformed(_))
        ));
    }

    #[test]
    fn envelope_escapes_and_carries_the_session() {
        let e = read_metadata_envelope(&Secret::new("00Dx!AQ<&"), &["a&b".to_string()]);
        assert!(e.contains("<met:sessionId>00Dx!AQ&lt;&amp;</met:sessionId>"));
        assert!(e.contains("<met:fullNames>a&amp;b</met:fullNames>"));
    }
}
