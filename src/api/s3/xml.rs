//! S3's XML answers, read strictly: a `ListBucketResult` (ListObjectsV2) and the `Error`
//! envelope. Keys are decoded exactly: with `encoding-type=url` the server percent-encodes
//! them (and `+` stands for a space, as in a form), so keys holding `+`, `%`, spaces,
//! non-ASCII and control characters come back as they are stored.

use chrono::{DateTime, Utc};
use percent_encoding::percent_decode_str;

/// One object of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub key: String,
    pub size: Option<u64>,
    pub last_modified: Option<DateTime<Utc>>,
    pub etag: Option<String>,
    pub storage_class: Option<String>,
}

/// One page of ListObjectsV2.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub objects: Vec<Object>,
    /// `CommonPrefixes`: the folders at this level (with a delimiter).
    pub prefixes: Vec<String>,
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

fn child_text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
        .map(|c| c.text().unwrap_or(""))
}

/// A key or prefix as the server wrote it: percent-decoded when the answer is URL-encoded.
/// A decoded key that is not UTF-8 is an error rather than a guess.
fn decode_key(text: &str, url_encoded: bool) -> Result<String, String> {
    if !url_encoded {
        return Ok(text.to_string());
    }
    let plus_as_space = text.replace('+', " ");
    percent_decode_str(&plus_as_space)
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|_| format!("the key {text:?} does not decode to UTF-8"))
}

/// Reads a ListObjectsV2 answer.
pub fn listing(body: &str) -> Result<Listing, String> {
    let doc = roxmltree::Document::parse(body).map_err(|e| format!("not XML: {e}"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "ListBucketResult" {
        return Err(format!(
            "expected a ListBucketResult, got <{}>",
            root.tag_name().name()
        ));
    }
    let url_encoded =
        child_text(root, "EncodingType").is_some_and(|e| e.eq_ignore_ascii_case("url"));
    let mut listing = Listing {
        truncated: child_text(root, "IsTruncated").is_some_and(|t| t.trim() == "true"),
        next_token: child_text(root, "NextContinuationToken")
            .map(str::to_string)
            .filter(|t| !t.is_empty()),
        ..Listing::default()
    };
    for node in root.children().filter(roxmltree::Node::is_element) {
        match node.tag_name().name() {
            "Contents" => {
                let key = decode_key(child_text(node, "Key").unwrap_or(""), url_encoded)?;
                listing.objects.push(Object {
                    key,
                    size: child_text(node, "Size").and_then(|s| s.trim().parse().ok()),
                    last_modified: child_text(node, "LastModified")
                        .and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
                        .map(|t| t.with_timezone(&Utc)),
                    etag: child_text(node, "ETag").map(str::to_string),
                    storage_class: child_text(node, "StorageClass").map(str::to_string),
                });
            }
            "CommonPrefixes" => {
                if let Some(prefix) = child_text(node, "Prefix") {
                    listing.prefixes.push(decode_key(prefix, url_encoded)?);
                }
            }
            _ => {}
        }
    }
    Ok(listing)
}

/// Reads S3's error envelope, if the body is one.
pub fn error(body: &str) -> Option<ErrorBody> {
    let doc = roxmltree::Document::parse(body).ok()?;
    let root = doc.root_element();
    if root.tag_name().name() != "Error" {
        return None;
    }
    Some(ErrorBody {
        code: child_text(root, "Code").map(str::to_string),
        message: child_text(root, "Message").map(str::to_string),
        region: child_text(root, "Region").map(str::to_string),
    })
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
        let page = listing(AWS_EXAMPLE).unwrap();
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
        assert_eq!(page.prefixes, ["photos/"]);
    }

    #[test]
    fn url_encoded_keys_decode_exactly() {
        let body = r#"<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>
            <Contents><Key>a%2Bb+c%2520d.txt</Key></Contents>
            <Contents><Key>%E6%97%A5%E6%9C%AC/%1B%5B31m.txt</Key></Contents>
            <CommonPrefixes><Prefix>100%25/</Prefix></CommonPrefixes></ListBucketResult>"#;
        let page = listing(body).unwrap();
        let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, ["a+b c%20d.txt", "日本/\u{1b}[31m.txt"]);
        assert_eq!(page.prefixes, ["100%/"]);
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
            listing("<Error/>")
                .unwrap_err()
                .contains("ListBucketResult")
        );
    }
}
