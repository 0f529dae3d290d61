//! A SOQL subset: `SELECT f, Rel.f FROM Obj [WHERE cond] [ORDER BY f [ASC|DESC] [NULLS
//! FIRST|LAST], ...] [LIMIT n] [OFFSET n]` and `SELECT COUNT() FROM Obj [WHERE cond]`.
//! Conditions: `=`, `!=`, `<>`, `<`, `<=`, `>`, `>=`, `LIKE`, `IN (...)`, `NOT IN (...)`,
//! joined with `AND`, `OR`, `NOT` and parentheses. Literals: `'strings'`, numbers, `true`,
//! `false`, `null`, dateTime (`2025-01-01T00:00:00Z`) and date literals.
//! Syntax: SOQL and SOSL Reference, <https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select.htm>.
//! Error texts follow the shape the API gives (`\n<query>\n<caret>\nERROR at Row:1:Column:N\n<message>`).

use super::data::{parse_datetime, Obj, Ty, V};
use std::borrow::Cow;
use std::cmp::Ordering;

#[derive(Debug, Clone)]
pub struct Query {
    pub count: bool,
    pub fields: Vec<Path>,
    pub object: Obj,
    pub filter: Option<Expr>,
    pub order: Vec<(Path, bool, bool)>, // path, descending, nulls last
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

/// A field path as written (`User.Profile.Name`), resolved to relationship hops.
#[derive(Debug, Clone)]
pub struct Path {
    pub written: String,
    /// Lookup fields followed (e.g. `UserId`, then `ProfileId`), then the final field.
    pub hops: Vec<&'static str>,
    pub field: &'static str,
    pub ty: Ty,
}

#[derive(Debug, Clone)]
pub enum Lit {
    Null,
    Bool(bool),
    Num(i64),
    Str(String),
    Date(i64),
}

#[derive(Debug, Clone)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp(Path, String, Lit),
    In(Path, bool, Vec<Lit>),
}

/// A query error: the errorCode and the full message.
#[derive(Debug)]
pub struct QueryError {
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Sym(String),
}

fn tokenize(q: &str) -> Result<Vec<(Tok, usize)>, (usize, String)> {
    let b = q.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c == b'\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match b.get(i) {
                    None => return Err((start, "unexpected end of string literal".into())),
                    Some(b'\\') => {
                        if let Some(n) = b.get(i + 1) {
                            s.push(match n {
                                b'n' => '\n',
                                b't' => '\t',
                                other => *other as char,
                            });
                        }
                        i += 2;
                    }
                    Some(b'\'') => {
                        i += 1;
                        break;
                    }
                    Some(_) => {
                        let ch = q[i..].chars().next().unwrap_or(' ');
                        s.push(ch);
                        i += ch.len_utf8();
                    }
                }
            }
            out.push((Tok::Str(s), start));
        } else if c.is_ascii_alphanumeric()
            || c == b'_'
            || c == b'-' && b.get(i + 1).is_some_and(|d| d.is_ascii_digit())
        {
            i += 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b"_.:+-".contains(&b[i])) {
                // A '-' or '+' only continues dateTime/number words, not identifiers.
                if (b[i] == b'-' || b[i] == b'+' || b[i] == b':') && !b[start].is_ascii_digit() {
                    break;
                }
                i += 1;
            }
            out.push((Tok::Word(q[start..i].to_string()), start));
        } else if c == b'(' || c == b')' || c == b',' || c == b'=' {
            i += 1;
            out.push((Tok::Sym((c as char).to_string()), start));
        } else if c == b'<' || c == b'>' || c == b'!' {
            i += 1;
            if i < b.len() && (b[i] == b'=' || (c == b'<' && b[i] == b'>')) {
                i += 1;
            }
            out.push((Tok::Sym(q[start..i].to_string()), start));
        } else {
            return Err((start, format!("unexpected token: '{}'", c as char)));
        }
    }
    Ok(out)
}

/// `fields_of` answers whether a field exists on an object in this org (edition-aware).
pub struct Parser<'a> {
    q: &'a str,
    toks: Vec<(Tok, usize)>,
    pos: usize,
    fields_of: &'a dyn Fn(Obj) -> Vec<(&'static str, Ty)>,
    object_exists: &'a dyn Fn(&str) -> Option<Obj>,
}

fn err_at(q: &str, col0: usize, code: &'static str, msg: String) -> QueryError {
    QueryError {
        code,
        message: format!(
            "\n{q}\n{}^\nERROR at Row:1:Column:{}\n{msg}",
            " ".repeat(col0),
            col0 + 1
        ),
    }
}

impl<'a> Parser<'a> {
    pub fn parse(
        q: &'a str,
        fields_of: &'a dyn Fn(Obj) -> Vec<(&'static str, Ty)>,
        object_exists: &'a dyn Fn(&str) -> Option<Obj>,
    ) -> Result<Query, QueryError> {
        let toks = tokenize(q).map_err(|(c, m)| err_at(q, c, "MALFORMED_QUERY", m))?;
        let mut p = Parser {
            q,
            toks,
            pos: 0,
            fields_of,
            object_exists,
        };
        p.query()
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }
    fn col(&self) -> usize {
        self.toks.get(self.pos).map(|t| t.1).unwrap_or(self.q.len())
    }
    fn malformed(&self) -> QueryError {
        let m = match self.peek() {
            Some(Tok::Word(w)) | Some(Tok::Sym(w)) => format!("unexpected token: '{w}'"),
            Some(Tok::Str(s)) => format!("unexpected token: '{s}'"),
            None => "unexpected token: '<EOF>'".to_string(),
        };
        err_at(self.q, self.col(), "MALFORMED_QUERY", m)
    }
    fn kw(&mut self, k: &str) -> bool {
        if let Some(Tok::Word(w)) = self.peek() {
            if w.eq_ignore_ascii_case(k) {
                self.pos += 1;
                return true;
            }
        }
        false
    }
    fn sym(&mut self, s: &str) -> bool {
        if self.peek() == Some(&Tok::Sym(s.to_string())) {
            self.pos += 1;
            return true;
        }
        false
    }
    fn expect_kw(&mut self, k: &str) -> Result<(), QueryError> {
        if self.kw(k) {
            Ok(())
        } else {
            Err(self.malformed())
        }
    }
    fn word(&mut self) -> Result<(String, usize), QueryError> {
        match self.toks.get(self.pos) {
            Some((Tok::Word(w), c)) => {
                let r = (w.clone(), *c);
                self.pos += 1;
                Ok(r)
            }
            _ => Err(self.malformed()),
        }
    }

    fn query(&mut self) -> Result<Query, QueryError> {
        self.expect_kw("SELECT")?;
        let mut count = false;
        let mut raw_fields = Vec::new();
        if matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case("COUNT"))
            && self.toks.get(self.pos + 1).map(|t| &t.0) == Some(&Tok::Sym("(".into()))
        {
            self.pos += 2;
            if !self.sym(")") {
                return Err(self.malformed());
            }
            count = true;
        } else {
            loop {
                raw_fields.push(self.word()?);
                if !self.sym(",") {
                    break;
                }
            }
        }
        self.expect_kw("FROM")?;
        let (objname, ocol) = self.word()?;
        let object = (self.object_exists)(&objname).ok_or_else(|| {
            err_at(
                self.q,
                ocol,
                "INVALID_TYPE",
                format!(
                    "sObject type '{objname}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
                ),
            )
        })?;
        let mut fields = Vec::new();
        for (w, c) in raw_fields {
            fields.push(self.path(object, &w, c)?);
        }
        let mut filter = None;
        if self.kw("WHERE") {
            filter = Some(self.or_expr(object)?);
        }
        let mut order = Vec::new();
        if self.kw("ORDER") {
            self.expect_kw("BY")?;
            loop {
                let (w, c) = self.word()?;
                let p = self.path(object, &w, c)?;
                let desc = if self.kw("DESC") {
                    true
                } else {
                    self.kw("ASC");
                    false
                };
                // Default: nulls first ascending, nulls last descending.
                let mut nulls_last = desc;
                if self.kw("NULLS") {
                    if self.kw("LAST") {
                        nulls_last = true;
                    } else {
                        self.expect_kw("FIRST")?;
                        nulls_last = false;
                    }
                }
                order.push((p, desc, nulls_last));
                if !self.sym(",") {
                    break;
                }
            }
        }
        let mut limit = None;
        let mut offset = None;
        if self.kw("LIMIT") {
            limit = Some(self.number()?);
        }
        if self.kw("OFFSET") {
            offset = Some(self.number()?);
        }
        if self.peek().is_some() {
            return Err(self.malformed());
        }
        if count && !order.is_empty() {
            return Err(err_at(
                self.q,
                0,
                "MALFORMED_QUERY",
                "ORDER BY not allowed with COUNT()".into(),
            ));
        }
        Ok(Query {
            count,
            fields,
            object,
            filter,
            order,
            limit,
            offset,
        })
    }

    fn number(&mut self) -> Result<usize, QueryError> {
        let c = self.col();
        let (w, _) = self.word()?;
        w.parse()
            .map_err(|_| err_at(self.q, c, "MALFORMED_QUERY", format!("unexpected token: '{w}'")))
    }

    fn path(&self, obj: Obj, written: &str, col: usize) -> Result<Path, QueryError> {
        let parts: Vec<&str> = written.split('.').collect();
        let mut cur = obj;
        let mut hops = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let fields = (self.fields_of)(cur);
            if i + 1 == parts.len() {
                let Some((name, ty)) = fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(part)) else {
                    return Err(err_at(
                            self.q,
                            col,
                            "INVALID_FIELD",
                            format!(
                                "No such column '{part}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
                                cur.name()
                            ),
                        ));
                };
                return Ok(Path {
                    written: written.to_string(),
                    hops,
                    field: name,
                    ty: *ty,
                });
            }
            let rel = fields.iter().find_map(|(n, t)| match t {
                Ty::Ref(r, target) if r.eq_ignore_ascii_case(part) => Some((*n, *target)),
                _ => None,
            });
            let Some((fname, target)) = rel else {
                return Err(err_at(
                    self.q,
                    col,
                    "INVALID_FIELD",
                    format!(
                        "Didn't understand relationship '{part}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
                    ),
                ));
            };
            hops.push(fname);
            cur = target;
        }
        Err(err_at(
            self.q,
            col,
            "MALFORMED_QUERY",
            format!("unexpected token: '{written}'"),
        ))
    }

    fn or_expr(&mut self, obj: Obj) -> Result<Expr, QueryError> {
        let mut l = self.and_expr(obj)?;
        while self.kw("OR") {
            let r = self.and_expr(obj)?;
            l = Expr::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn and_expr(&mut self, obj: Obj) -> Result<Expr, QueryError> {
        let mut l = self.unary(obj)?;
        while self.kw("AND") {
            let r = self.unary(obj)?;
            l = Expr::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn unary(&mut self, obj: Obj) -> Result<Expr, QueryError> {
        if self.kw("NOT") {
            return Ok(Expr::Not(Box::new(self.unary(obj)?)));
        }
        if self.sym("(") {
            let e = self.or_expr(obj)?;
            if !self.sym(")") {
                return Err(self.malformed());
            }
            return Ok(e);
        }
        let (w, c) = self.word()?;
        let p = self.path(obj, &w, c)?;
        if self.kw("IN") {
            return Ok(Expr::In(p.clone(), false, self.list(&p)?));
        }
        if self.kw("NOT") {
            self.expect_kw("IN")?;
            return Ok(Expr::In(p.clone(), true, self.list(&p)?));
        }
        let op = match self.peek() {
            Some(Tok::Sym(s)) if ["=", "!=", "<>", "<", "<=", ">", ">="].contains(&s.as_str()) => {
                let s = s.clone();
                self.pos += 1;
                s
            }
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("LIKE") => {
                self.pos += 1;
                "LIKE".to_string()
            }
            _ => return Err(self.malformed()),
        };
        let lit = self.literal(&p)?;
        Ok(Expr::Cmp(p, op, lit))
    }
    fn list(&mut self, p: &Path) -> Result<Vec<Lit>, QueryError> {
        if !self.sym("(") {
            return Err(self.malformed());
        }
        let mut v = Vec::new();
        loop {
            v.push(self.literal(p)?);
            if self.sym(")") {
                return Ok(v);
            }
            if !self.sym(",") {
                return Err(self.malformed());
            }
        }
    }
    fn literal(&mut self, p: &Path) -> Result<Lit, QueryError> {
        let col = self.col();
        let bad = |q: &str, _v: &str, ty: &str| {
            err_at(
                q,
                col,
                "INVALID_FIELD",
                format!("value of filter criterion for field '{}' must be of type {ty} and should not be enclosed in quotes", p.field),
            )
        };
        match self.toks.get(self.pos).cloned() {
            Some((Tok::Str(s), _)) => {
                self.pos += 1;
                match p.ty {
                    Ty::DateTime | Ty::Bool | Ty::Int => Err(bad(self.q, &s, p.ty.rest_type())),
                    _ => Ok(Lit::Str(s)),
                }
            }
            Some((Tok::Word(w), _)) => {
                self.pos += 1;
                if w.eq_ignore_ascii_case("null") {
                    return Ok(Lit::Null);
                }
                match p.ty {
                    Ty::Bool if w.eq_ignore_ascii_case("true") => Ok(Lit::Bool(true)),
                    Ty::Bool if w.eq_ignore_ascii_case("false") => Ok(Lit::Bool(false)),
                    Ty::Int => w.parse().map(Lit::Num).map_err(|_| bad(self.q, &w, "int")),
                    Ty::DateTime => parse_datetime(&w).map(Lit::Date).ok_or_else(|| {
                        err_at(
                            self.q,
                            col,
                            "INVALID_FIELD",
                            format!("line 1:{col} no viable alternative at character '{w}'"),
                        )
                    }),
                    _ => Err(err_at(
                        self.q,
                        col,
                        "MALFORMED_QUERY",
                        format!("unexpected token: '{w}'"),
                    )),
                }
            }
            _ => Err(self.malformed()),
        }
    }
}

fn like(pattern: &str, s: &str) -> bool {
    // SOQL LIKE: % any run, _ one character; case-insensitive.
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = s.to_lowercase().chars().collect();
    fn m(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('%') => (0..=t.len()).any(|k| m(&p[1..], &t[k..])),
            Some('_') => !t.is_empty() && m(&p[1..], &t[1..]),
            Some(c) => t.first() == Some(c) && m(&p[1..], &t[1..]),
        }
    }
    m(&p, &t)
}

fn cmp_value(v: &V<'_>, l: &Lit) -> Option<Ordering> {
    match (v, l) {
        (V::Null, Lit::Null) => Some(Ordering::Equal),
        (V::Null, _) | (_, Lit::Null) => None,
        (V::Bool(a), Lit::Bool(b)) => Some(a.cmp(b)),
        (V::Int(a), Lit::Num(b)) => Some(a.cmp(b)),
        (V::Date(a), Lit::Date(b)) => Some(a.cmp(b)),
        // Text comparisons are case-insensitive in SOQL; Ids compare as written.
        (V::Str(a), Lit::Str(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
        _ => None,
    }
}

pub fn eval(e: &Expr, get: &dyn Fn(&Path) -> V<'static>) -> bool {
    match e {
        Expr::And(a, b) => eval(a, get) && eval(b, get),
        Expr::Or(a, b) => eval(a, get) || eval(b, get),
        Expr::Not(a) => !eval(a, get),
        Expr::In(p, neg, lits) => {
            let v = get(p);
            let found = lits.iter().any(|l| cmp_value(&v, l) == Some(Ordering::Equal));
            found != *neg
        }
        Expr::Cmp(p, op, lit) => {
            let v = get(p);
            if op == "LIKE" {
                return match (&v, lit) {
                    (V::Str(s), Lit::Str(pat)) => like(pat, s),
                    _ => false,
                };
            }
            let is_null = matches!(v, V::Null);
            let lit_null = matches!(lit, Lit::Null);
            match op.as_str() {
                "=" if is_null || lit_null => is_null && lit_null,
                "!=" | "<>" if is_null || lit_null => is_null != lit_null,
                _ => match cmp_value(&v, lit) {
                    None => false,
                    Some(o) => match op.as_str() {
                        "=" => o == Ordering::Equal,
                        "!=" | "<>" => o != Ordering::Equal,
                        "<" => o == Ordering::Less,
                        "<=" => o != Ordering::Greater,
                        ">" => o == Ordering::Greater,
                        ">=" => o != Ordering::Less,
                        _ => false,
                    },
                },
            }
        }
    }
}

/// Orders two values for ORDER BY (nulls handled by the caller).
pub fn order_values(a: &V<'_>, b: &V<'_>) -> Ordering {
    match (a, b) {
        (V::Bool(x), V::Bool(y)) => x.cmp(y),
        (V::Int(x), V::Int(y)) => x.cmp(y),
        (V::Date(x), V::Date(y)) => x.cmp(y),
        (V::Str(x), V::Str(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        _ => Ordering::Equal,
    }
}

pub fn owned(v: V<'_>) -> V<'static> {
    match v {
        V::Null => V::Null,
        V::Bool(b) => V::Bool(b),
        V::Int(i) => V::Int(i),
        V::Date(d) => V::Date(d),
        V::Str(s) => V::Str(Cow::Owned(s.into_owned())),
    }
}
