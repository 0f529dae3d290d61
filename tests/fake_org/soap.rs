//! SOAP Metadata API: `readMetadata` of `ConnectedApp`, up to 10 full names per call
//! (<https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/meta_readMetadata.htm>:
//! "Limit: 10"), answered with a SOAP envelope whose records are ConnectedApp XML as a
//! retrieve returns it (MD-CA, <https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/meta_connectedapp.htm>).
//! Faults are SOAP 1.1 faults with HTTP 500 and `sf:` fault codes.
//!
//! Choices where the documentation is silent: a full name that does not exist comes back as
//! an empty `<records xsi:type="ConnectedApp"/>` (no fullName); more than 10 names is the
//! fault `sf:LIMIT_EXCEEDED`; a user without metadata access gets `sf:INSUFFICIENT_ACCESS`.
//! Operations other than readMetadata answer `sf:UNKNOWN_EXCEPTION` (the fake serves reads only).

use super::data::AppKind;
use super::{resp, Shared};
use hyper::body::Bytes;
use hyper::StatusCode;
use quick_xml::events::Event;
use quick_xml::Reader;

type Resp = super::Resp;

/// Element local names and their text, in document order; None when the XML is not well
/// formed or has a DOCTYPE.
fn texts(body: &[u8]) -> Option<Vec<(String, String)>> {
    let mut r = Reader::from_reader(body);
    let mut out = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                stack.push(name.clone());
                out.push((name, String::new()));
            }
            Ok(Event::Empty(e)) => {
                out.push((
                    String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    String::new(),
                ));
            }
            Ok(Event::Text(t)) => {
                if let (Some(top), Some(last)) = (stack.last(), out.last_mut()) {
                    if &last.0 == top {
                        let raw = String::from_utf8_lossy(t.as_ref()).into_owned();
                        last.1.push_str(raw.trim());
                    }
                }
            }
            Ok(Event::End(_)) => {
                stack.pop();
            }
            Ok(Event::DocType(_)) => return None,
            Ok(Event::Eof) => return Some(out),
            Err(_) => return None,
            _ => {}
        }
        buf.clear();
    }
}

pub fn session_id(body: &Bytes) -> Option<String> {
    texts(body)?.into_iter().find(|(n, _)| n == "sessionId").map(|(_, t)| t)
}

pub fn fault(code: &str, message: &str) -> Resp {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:sf=\"http://soap.sforce.com/2006/04/metadata\"><soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>",
        esc(message)
    );
    resp(StatusCode::INTERNAL_SERVER_ERROR, "text/xml;charset=UTF-8", body)
}

pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => {
                // Not representable in XML 1.0; a retrieve would not carry it either.
                o.push('\u{FFFD}')
            }
            c => o.push(c),
        }
    }
    o
}

pub fn handle(shared: &Shared, version: &str, body: &Bytes, session: Option<&str>) -> Resp {
    let Some(items) = texts(body) else {
        return fault("INVALID_XML", "The request could not be parsed as XML");
    };
    let major: u32 = version.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
    if major < 31 || major > shared.spec.max_version {
        return fault("UNSUPPORTED_API_VERSION", &format!("Unsupported API version {version}"));
    }
    {
        let mut st = shared.st();
        if let Some(n) = st.expire_after {
            if n == 0 {
                for t in st.tokens.values_mut() {
                    t.expired = true;
                }
                st.expire_after = None;
            } else {
                st.expire_after = Some(n - 1);
            }
        }
        let valid = session.and_then(|s| st.tokens.get(s)).is_some_and(|t| !t.expired);
        if !valid {
            return fault(
                "INVALID_SESSION_ID",
                "Invalid Session ID found in SessionHeader: Illegal Session",
            );
        }
        if st.api_used >= st.api_max {
            return fault("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");
        }
        st.api_used += 1;
        if st.metadata_denied {
            return fault(
                "INSUFFICIENT_ACCESS",
                "The user needs Modify Metadata Through Metadata API Functions or Modify All Data",
            );
        }
    }
    if !items.iter().any(|(n, _)| n == "readMetadata") {
        return fault("UNKNOWN_EXCEPTION", "The fake org serves readMetadata only");
    }
    let ty = items
        .iter()
        .find(|(n, _)| n == "type")
        .map(|(_, t)| t.as_str())
        .unwrap_or("");
    let names: Vec<&str> = items
        .iter()
        .filter(|(n, _)| n == "fullNames")
        .map(|(_, t)| t.as_str())
        .collect();
    if names.len() > 10 {
        return fault(
            "LIMIT_EXCEEDED",
            &format!("Too many full names: {} (at most 10)", names.len()),
        );
    }
    if ty != "ConnectedApp" {
        return fault(
            "INVALID_TYPE",
            &format!("The fake org reads ConnectedApp only, not '{}'", esc(ty)),
        );
    }
    let (secrets, doctype) = {
        let mut st = shared.st();
        let d = st.soap_doctype > 0;
        if d {
            st.soap_doctype -= 1;
        }
        (st.metadata_secrets, d)
    };
    let mut records = String::new();
    for name in names {
        let app = shared
            .org
            .apps
            .iter()
            .find(|a| a.kind == AppKind::ConnectedApp && a.full_name() == name);
        match app {
            None => records.push_str("<records xsi:type=\"ConnectedApp\"/>"),
            Some(a) => {
                let mut x = String::new();
                x.push_str("<records xsi:type=\"ConnectedApp\">");
                x.push_str(&format!("<fullName>{}</fullName>", esc(&a.full_name())));
                x.push_str(&format!("<contactEmail>{}</contactEmail>", esc(&a.contact_email)));
                x.push_str(&format!("<label>{}</label>", esc(&a.label)));
                x.push_str("<oauthConfig>");
                x.push_str(&format!("<callbackUrl>{}</callbackUrl>", esc(&a.callback_url)));
                x.push_str(&format!(
                    "<consumerKey>{}</consumerKey>",
                    esc(&shared.org.consumer_key(a.row))
                ));
                x.push_str(&format!("<isAdminApproved>{}</isAdminApproved>", a.admin_approved));
                x.push_str("<isConsumerSecretOptional>false</isConsumerSecretOptional>");
                x.push_str("<isIntrospectAllTokens>false</isIntrospectAllTokens>");
                x.push_str("<isSecretRequiredForRefreshToken>true</isSecretRequiredForRefreshToken>");
                if secrets {
                    x.push_str(&format!(
                        "<consumerSecret>SECRET-CONSUMER-{}</consumerSecret>",
                        esc(&a.dev_name)
                    ));
                    x.push_str("<certificate>-----BEGIN PRIVATE KEY-----\nSECRET-PEM-KEY-FAKE\n-----END PRIVATE KEY-----</certificate>");
                }
                for s in &a.scopes {
                    x.push_str(&format!("<scopes>{s}</scopes>"));
                }
                x.push_str("</oauthConfig>");
                if secrets {
                    x.push_str("<privateKey>SECRET-PRIVATE-KEY-FAKE</privateKey>");
                }
                x.push_str(&format!(
                    "<oauthPolicy><ipRelaxation>{}</ipRelaxation><refreshTokenPolicy>{}</refreshTokenPolicy></oauthPolicy>",
                    a.ip_relaxation,
                    esc(&a.refresh_policy)
                ));
                let app_ix = shared.org.ca_rows[a.row as usize];
                for sea in shared.org.seas.iter().filter(|s| s.app == app_ix) {
                    let ps = &shared.org.permsets[sea.parent as usize];
                    match ps.profile {
                        Some(p) => x.push_str(&format!(
                            "<profileName>{}</profileName>",
                            esc(shared.org.profiles[p as usize].name)
                        )),
                        None => x.push_str(&format!("<permissionSetName>{}</permissionSetName>", esc(&ps.name))),
                    }
                }
                x.push_str("</records>");
                records.push_str(&x);
            }
        }
    }
    let prolog = if doctype {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><!DOCTYPE soapenv:Envelope [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
    } else {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    };
    let body = format!(
        "{prolog}<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns=\"http://soap.sforce.com/2006/04/metadata\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body><readMetadataResponse><result>{records}</result></readMetadataResponse></soapenv:Body></soapenv:Envelope>"
    );
    resp(StatusCode::OK, "text/xml;charset=UTF-8", body)
}
