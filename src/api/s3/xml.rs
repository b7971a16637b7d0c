//! S3's XML answers, read strictly as a stream: a `ListBucketResult` (ListObjectsV2) and the
//! `Error` envelope. Keys are decoded exactly: with `encoding-type=url` the server
//! percent-encodes them (and `+` stands for a space, as in a form), so keys holding `+`, `%`,
//! spaces, non-ASCII and control characters come back as they are stored.
//!
//! The answer is read with a small pull reader over its text, never built into a tree: memory
//! is the body plus the records kept, whatever the body holds (64 MiB of `<a/>` is read in
//! constant memory), and a listing that holds more than `max_records` records is refused as
//! soon as the count passes the limit. The reader knows what S3 sends: elements, attributes
//! (skipped), text with the five entities and character references, CDATA, comments and
//! processing instructions; a DOCTYPE is refused (no entity is ever expanded).

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use percent_encoding::percent_decode_str;

pub mod buckets;

/// One object of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub key: String,
    pub size: Option<u64>,
    pub last_modified: Option<DateTime<Utc>>,
    pub etag: Option<String>,
    pub storage_class: Option<String>,
    /// What could not be read of it: a key that does not decode to UTF-8 is kept with U+FFFD
    /// in place of the bad bytes, and said here.
    pub problems: Vec<String>,
}

/// One page of ListObjectsV2.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub objects: Vec<Object>,
    /// `CommonPrefixes`: the folders at this level (with a delimiter), each with its problems.
    pub prefixes: Vec<(String, Vec<String>)>,
    pub truncated: bool,
    pub next_token: Option<String>,
}

/// S3's error envelope: `<Error><Code>…</Code><Message>…</Message><Region>…</Region></Error>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorBody {
    pub code: Option<String>,
    pub message: Option<String>,
    /// The bucket's region, in the errors that say where the bucket is.
    pub region: Option<String>,
}

/// Elements nested deeper than this are refused: S3's answers are four deep.
const MAX_DEPTH: usize = 64;

/// What the pull reader meets next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    /// An element opens: its local name (any `prefix:` taken off).
    Start(&'a str),
    /// The element opened last closes (a self-closing one closes at once).
    End,
    /// Text inside an element, entities resolved (a CDATA section is its own text).
    Text(Cow<'a, str>),
}

/// A pull reader over an XML document: checks that it is well formed as it goes (one root,
/// end tags that match, nothing but space, comments and instructions outside the root) and
/// holds only the names of the elements open.
pub(crate) struct Reader<'a> {
    text: &'a str,
    /// The last start tag read, attributes and all (Azure's `<Name Encoded="true">`).
    last_tag: &'a str,
    pos: usize,
    open: Vec<&'a str>,
    /// A self-closing element's end, still to be reported.
    closing: bool,
    root_seen: bool,
}

fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, local)| local)
}

impl<'a> Reader<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Reader {
            text,
            last_tag: "",
            pos: 0,
            open: Vec::new(),
            closing: false,
            root_seen: false,
        }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    /// Skips to just past `end`, which must come.
    fn skip_past(&mut self, end: &str, what: &str) -> Result<&'a str, String> {
        let rest = self.rest();
        let at = rest
            .find(end)
            .ok_or_else(|| format!("not XML: a {what} that never ends"))?;
        self.pos += at + end.len();
        Ok(&rest[..at])
    }

    pub(crate) fn next(&mut self) -> Result<Option<Event<'a>>, String> {
        loop {
            if self.closing {
                self.closing = false;
                self.open.pop();
                return Ok(Some(Event::End));
            }
            let rest = self.rest();
            if rest.is_empty() {
                return match self.open.last() {
                    Some(name) => Err(format!("not XML: the answer ends inside <{name}>")),
                    None if !self.root_seen => Err("not XML: no element".to_string()),
                    None => Ok(None),
                };
            }
            if !rest.starts_with('<') {
                let end = rest.find('<').unwrap_or(rest.len());
                let raw = &rest[..end];
                self.pos += end;
                if self.open.is_empty() {
                    if raw.trim().is_empty() {
                        continue;
                    }
                    return Err("not XML: text outside the root element".to_string());
                }
                return unescape(raw).map(|t| Some(Event::Text(t)));
            }
            if rest.starts_with("<?") {
                self.skip_past("?>", "processing instruction")?;
                continue;
            }
            if rest.starts_with("<!--") {
                self.pos += 4;
                self.skip_past("-->", "comment")?;
                continue;
            }
            if rest.starts_with("<![CDATA[") {
                self.pos += 9;
                let content = self.skip_past("]]>", "CDATA section")?;
                if self.open.is_empty() {
                    return Err("not XML: text outside the root element".to_string());
                }
                return Ok(Some(Event::Text(Cow::Borrowed(content))));
            }
            if rest.starts_with("<!") {
                return Err(
                    "not XML that S3 sends: a DOCTYPE or declaration (none is read)".to_string(),
                );
            }
            if let Some(tag) = rest.strip_prefix("</") {
                let end = tag
                    .find('>')
                    .ok_or_else(|| "not XML: an end tag that never ends".to_string())?;
                let name = tag[..end].trim_end();
                self.pos += 2 + end + 1;
                return match self.open.pop() {
                    Some(open) if open == name => Ok(Some(Event::End)),
                    Some(open) => Err(format!("not XML: </{name}> closes <{open}>")),
                    None => Err(format!("not XML: </{name}> closes nothing")),
                };
            }
            return self.start_tag().map(Some);
        }
    }

    /// `<name attr="…" …>` or `<name …/>`, the reader at its `<`.
    fn start_tag(&mut self) -> Result<Event<'a>, String> {
        let tag = &self.rest()[1..];
        let name_end = tag
            .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
            .unwrap_or(tag.len());
        let name = &tag[..name_end];
        if name.is_empty() || name.contains(['<', '&', '"', '\'', '=']) {
            return Err("not XML: a tag without a name".to_string());
        }
        // The attributes are skipped, quotes respected (a quoted `>` does not end the tag).
        let mut quote = None;
        let mut end = None;
        for (i, b) in tag.bytes().enumerate().skip(name_end) {
            match (quote, b) {
                (Some(q), b) if b == q => quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') => quote = Some(b),
                (None, b'<') => return Err(format!("not XML: `<` inside the tag <{name}>")),
                (None, b'>') => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let end = end.ok_or_else(|| format!("not XML: the tag <{name}> never ends"))?;
        if self.open.is_empty() && self.root_seen {
            return Err("not XML: a second root element".to_string());
        }
        if self.open.len() == MAX_DEPTH {
            return Err(format!(
                "the answer nests elements more than {MAX_DEPTH} deep; S3's are four deep"
            ));
        }
        self.root_seen = true;
        self.closing = tag[..end].ends_with('/');
        self.last_tag = &tag[name_end..end];
        self.pos += 1 + end + 1;
        self.open.push(name);
        Ok(Event::Start(local(name)))
    }

    /// The text of the element just opened (its text and CDATA children, joined), reading up
    /// to its end; elements inside it are skipped.
    pub(crate) fn text_of(&mut self) -> Result<String, String> {
        let mut text = String::new();
        let mut depth = 0usize;
        while let Some(event) = self.next()? {
            match event {
                Event::Start(_) => depth += 1,
                Event::End if depth == 0 => return Ok(text),
                Event::End => depth -= 1,
                Event::Text(t) if depth == 0 => text.push_str(&t),
                Event::Text(_) => {}
            }
        }
        Ok(text)
    }

    /// The value of the attribute `name` of the element opened last, if it has one as
    /// `name="value"` (entities resolved).
    pub(crate) fn attribute(&self, name: &str) -> Option<String> {
        let mut rest = self.last_tag;
        while let Some(at) = rest.find(name) {
            let after = rest[at + name.len()..].trim_start();
            let before_ok = rest[..at]
                .chars()
                .next_back()
                .is_none_or(char::is_whitespace);
            if before_ok && let Some(value) = after.strip_prefix('=') {
                let value = value.trim_start();
                let quote = value.chars().next()?;
                if quote != '"' && quote != '\'' {
                    return None;
                }
                let end = value[1..].find(quote)?;
                return unescape(&value[1..1 + end]).ok().map(Cow::into_owned);
            }
            rest = &rest[at + name.len()..];
        }
        None
    }

    /// Reads past the end of the element just opened.
    pub(crate) fn skip_element(&mut self) -> Result<(), String> {
        self.text_of().map(drop)
    }
}

/// Text with XML's five entities and its character references resolved.
fn unescape(raw: &str) -> Result<Cow<'_, str>, String> {
    if !raw.contains('&') {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after
            .find(';')
            .filter(|end| *end <= 10)
            .ok_or_else(|| "not XML: an `&` that starts no entity".to_string())?;
        let entity = &after[..end];
        let c = match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = entity.strip_prefix('#') {
                    dec.parse::<u32>().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32)
                    .filter(|c| *c != '\0')
                    .ok_or_else(|| format!("not XML: an unknown entity &{entity};"))?
            }
        };
        out.push(c);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

/// A key or prefix as the server wrote it: percent-decoded when the answer is URL-encoded. A
/// decoded key that is not UTF-8 is kept with U+FFFD in place of the bad bytes, and a problem
/// says so (with the key as the server sent it), rather than failing the page.
pub(super) fn decode_key(text: &str, url_encoded: bool) -> (String, Option<String>) {
    if !url_encoded {
        return (text.to_string(), None);
    }
    let plus_as_space = text.replace('+', " ");
    let bytes: Vec<u8> = percent_decode_str(&plus_as_space).collect();
    match String::from_utf8(bytes) {
        Ok(key) => (key, None),
        Err(e) => (
            String::from_utf8_lossy(e.as_bytes()).into_owned(),
            Some(format!(
                "Key: does not decode to UTF-8 (sent as {text:?}); shown with U+FFFD, so it cannot be fetched or deleted by this name"
            )),
        ),
    }
}

/// One `<Contents>` as sent, its key not yet decoded (the encoding may be named after it).
#[derive(Default)]
struct RawObject {
    key: String,
    size: Option<u64>,
    last_modified: Option<DateTime<Utc>>,
    etag: Option<String>,
    storage_class: Option<String>,
}

fn contents(reader: &mut Reader<'_>) -> Result<RawObject, String> {
    let mut o = RawObject::default();
    while let Some(event) = reader.next()? {
        match event {
            Event::End => break,
            Event::Text(_) => {}
            Event::Start(name) => match name {
                "Key" => o.key = reader.text_of()?,
                "Size" => o.size = reader.text_of()?.trim().parse().ok(),
                "LastModified" => {
                    o.last_modified = DateTime::parse_from_rfc3339(reader.text_of()?.trim())
                        .ok()
                        .map(|t| t.with_timezone(&Utc));
                }
                "ETag" => o.etag = Some(reader.text_of()?),
                "StorageClass" => o.storage_class = Some(reader.text_of()?),
                _ => reader.skip_element()?,
            },
        }
    }
    Ok(o)
}

/// The text of the first `<name>` child of the element just opened; the rest skipped.
pub(super) fn child(reader: &mut Reader<'_>, wanted: &str) -> Result<Option<String>, String> {
    let mut found = None;
    while let Some(event) = reader.next()? {
        match event {
            Event::End => break,
            Event::Text(_) => {}
            Event::Start(name) if name == wanted && found.is_none() => {
                found = Some(reader.text_of()?);
            }
            Event::Start(_) => reader.skip_element()?,
        }
    }
    Ok(found)
}

/// The words of the refusal of an answer holding more than `max` records.
pub fn too_many_records(max: usize) -> String {
    format!(
        "the answer holds more than {} records, the most one answer may hold ([network] max_records)",
        crate::text::thousands(max)
    )
}

/// Reads a ListObjectsV2 answer, refusing it as soon as it holds more than `max_records`
/// objects and folders together.
pub fn listing(body: &str, max_records: usize) -> Result<Listing, String> {
    let mut reader = Reader::new(body);
    match reader.next()? {
        Some(Event::Start("ListBucketResult")) => {}
        Some(Event::Start(other)) => {
            return Err(format!("expected a ListBucketResult, got <{other}>"));
        }
        _ => return Err("not XML: no element".to_string()),
    }
    let mut encoding = None;
    let mut truncated = None;
    let mut next_token = None;
    let mut objects: Vec<RawObject> = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    while let Some(event) = reader.next()? {
        let name = match event {
            Event::End => break,
            Event::Text(_) => continue,
            Event::Start(name) => name,
        };
        let counted = matches!(name, "Contents" | "CommonPrefixes");
        if counted && objects.len() + prefixes.len() == max_records {
            return Err(too_many_records(max_records));
        }
        match name {
            "Contents" => objects.push(contents(&mut reader)?),
            "CommonPrefixes" => {
                if let Some(prefix) = child(&mut reader, "Prefix")? {
                    prefixes.push(prefix);
                }
            }
            "EncodingType" if encoding.is_none() => encoding = Some(reader.text_of()?),
            "IsTruncated" if truncated.is_none() => truncated = Some(reader.text_of()?),
            "NextContinuationToken" if next_token.is_none() => {
                next_token = Some(reader.text_of()?);
            }
            _ => reader.skip_element()?,
        }
    }
    // Nothing but space, comments and instructions may follow the root.
    if reader.next()?.is_some() {
        return Err("not XML: content after the root element".to_string());
    }
    let url_encoded = encoding.is_some_and(|e| e.eq_ignore_ascii_case("url"));
    Ok(Listing {
        objects: objects
            .into_iter()
            .map(|o| {
                let (key, problem) = decode_key(&o.key, url_encoded);
                Object {
                    key,
                    size: o.size,
                    last_modified: o.last_modified,
                    etag: o.etag,
                    storage_class: o.storage_class,
                    problems: problem.into_iter().collect(),
                }
            })
            .collect(),
        prefixes: prefixes
            .iter()
            .map(|p| {
                let (prefix, problem) = decode_key(p, url_encoded);
                let problems = problem
                    .map(|p| p.replacen("Key:", "Prefix:", 1))
                    .into_iter()
                    .collect();
                (prefix, problems)
            })
            .collect(),
        truncated: truncated.is_some_and(|t| t.trim() == "true"),
        next_token: next_token.filter(|t| !t.is_empty()),
    })
}

/// Reads S3's error envelope, if the body is one.
pub fn error(body: &str) -> Option<ErrorBody> {
    let mut reader = Reader::new(body);
    if reader.next().ok()? != Some(Event::Start("Error")) {
        return None;
    }
    let mut e = ErrorBody::default();
    while let Some(event) = reader.next().ok()? {
        let name = match event {
            Event::End => break,
            Event::Text(_) => continue,
            Event::Start(name) => name,
        };
        let slot = match name {
            "Code" => &mut e.code,
            "Message" => &mut e.message,
            "Region" => &mut e.region,
            _ => {
                reader.skip_element().ok()?;
                continue;
            }
        };
        let text = reader.text_of().ok()?;
        slot.get_or_insert(text);
    }
    reader.next().ok()?.is_none().then_some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example answer of the ListObjectsV2 API reference, with a second page's token.
    const AWS_EXAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
    <Name>bucket</Name>
    <Prefix/>
    <KeyCount>205</KeyCount>
    <MaxKeys>1000</MaxKeys>
    <IsTruncated>true</IsTruncated>
    <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
    <Contents>
        <Key>my-image.jpg</Key>
        <LastModified>2009-10-12T17:50:30.000Z</LastModified>
        <ETag>"fba9dede5f27731c9771645a39863328"</ETag>
        <Size>434234</Size>
        <StorageClass>STANDARD</StorageClass>
    </Contents>
    <CommonPrefixes><Prefix>photos/</Prefix></CommonPrefixes>
</ListBucketResult>"#;

    #[test]
    fn the_reference_example_reads_whole() {
        let page = listing(AWS_EXAMPLE, 10).unwrap();
        assert!(page.truncated);
        assert_eq!(
            page.next_token.as_deref(),
            Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        );
        assert_eq!(page.objects.len(), 1);
        let o = &page.objects[0];
        assert_eq!(o.key, "my-image.jpg");
        assert_eq!(o.size, Some(434_234));
        assert_eq!(
            o.etag.as_deref(),
            Some("\"fba9dede5f27731c9771645a39863328\"")
        );
        assert_eq!(
            o.last_modified.unwrap().to_rfc3339(),
            "2009-10-12T17:50:30+00:00"
        );
        assert_eq!(page.prefixes, [("photos/".to_string(), Vec::new())]);
    }

    #[test]
    fn url_encoded_keys_decode_exactly() {
        let body = r#"<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>
            <Contents><Key>a%2Bb+c%2520d.txt</Key></Contents>
            <Contents><Key>%E6%97%A5%E6%9C%AC/%1B%5B31m.txt</Key></Contents>
            <CommonPrefixes><Prefix>100%25/</Prefix></CommonPrefixes></ListBucketResult>"#;
        let page = listing(body, 10).unwrap();
        let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, ["a+b c%20d.txt", "日本/\u{1b}[31m.txt"]);
        assert_eq!(page.prefixes, [("100%/".to_string(), Vec::new())]);
        assert!(!page.truncated);
        assert_eq!(page.next_token, None);
    }

    #[test]
    fn errors_carry_code_message_and_region() {
        let body = "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is wrong; expecting 'eu-west-1'</Message><Region>eu-west-1</Region></Error>";
        let e = error(body).unwrap();
        assert_eq!(e.code.as_deref(), Some("AuthorizationHeaderMalformed"));
        assert_eq!(e.region.as_deref(), Some("eu-west-1"));
        assert!(error("{\"json\": true}").is_none());
        assert!(
            listing("<Error/>", 10)
                .unwrap_err()
                .contains("ListBucketResult")
        );
    }

    #[test]
    fn the_listing_is_refused_as_soon_as_it_holds_more_records_than_allowed() {
        let mut body = String::from("<ListBucketResult><IsTruncated>false</IsTruncated>");
        for i in 0..5 {
            body.push_str(&format!("<Contents><Key>k{i}</Key></Contents>"));
        }
        body.push_str("<CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes>");
        // Cut short after the fourth record: a refusal at the fourth of three never reads on.
        let cut = body.find("<Contents><Key>k4").unwrap();
        let err = listing(&body[..cut], 3).unwrap_err();
        assert_eq!(err, too_many_records(3));
        body.push_str("</ListBucketResult>");
        assert_eq!(listing(&body, 6).unwrap().objects.len(), 5);
        assert!(
            listing(&body, 5).is_err(),
            "five objects and a folder are six"
        );
    }

    #[test]
    fn elements_nobody_asked_for_are_skipped_in_constant_memory_and_bad_xml_is_refused() {
        let mut body = String::from("<?xml version=\"1.0\"?><!-- hi --><ListBucketResult a='>'>");
        for _ in 0..100_000 {
            body.push_str("<a/>");
        }
        body.push_str("<Contents><Key>a&amp;b&#x20;&#233;<![CDATA[<c>]]></Key></Contents></ListBucketResult>\n");
        let page = listing(&body, 10).unwrap();
        assert_eq!(page.objects[0].key, "a&b é<c>");
        for (bad, says) in [
            (
                "<ListBucketResult><Contents></ListBucketResult>",
                "closes <Contents>",
            ),
            ("<ListBucketResult>", "ends inside <ListBucketResult>"),
            ("<ListBucketResult/><ListBucketResult/>", "second root"),
            (
                "<!DOCTYPE x [<!ENTITY e \"e\">]><ListBucketResult/>",
                "DOCTYPE",
            ),
            (
                "<ListBucketResult>&bogus;</ListBucketResult>",
                "unknown entity",
            ),
            ("text", "outside the root"),
            ("", "no element"),
        ] {
            let err = listing(bad, 10).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
        let deep = "<ListBucketResult>".to_string() + &"<a>".repeat(10_000);
        assert!(
            listing(&deep, 10)
                .unwrap_err()
                .contains("more than 64 deep")
        );
    }

    #[test]
    fn a_key_that_is_not_utf8_is_kept_with_a_problem_and_its_neighbours_read() {
        let body = r#"<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>
            <Contents><Key>good-1</Key></Contents>
            <Contents><Key>bad%FF%FEname</Key></Contents>
            <Contents><Key>good-2</Key></Contents>
            <CommonPrefixes><Prefix>dir%C3/</Prefix></CommonPrefixes></ListBucketResult>"#;
        let page = listing(body, 10).unwrap();
        let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, ["good-1", "bad\u{fffd}\u{fffd}name", "good-2"]);
        assert!(page.objects[0].problems.is_empty());
        assert!(
            page.objects[1].problems[0].contains("\"bad%FF%FEname\""),
            "{:?}",
            page.objects[1].problems
        );
        assert_eq!(page.prefixes[0].0, "dir\u{fffd}/");
        assert!(page.prefixes[0].1[0].starts_with("Prefix: does not decode to UTF-8"));
    }

    #[test]
    fn the_encoding_may_be_named_after_the_keys() {
        let body = "<ListBucketResult><Contents><Key>a%20b</Key></Contents><EncodingType>url</EncodingType></ListBucketResult>";
        assert_eq!(listing(body, 10).unwrap().objects[0].key, "a b");
    }
}
