//! ListBuckets (`GET /` on the service): `<ListAllMyBucketsResult>` with `<Buckets>` of
//! `<Bucket>` (`Name`, `CreationDate`, and on AWS's newer answers `BucketRegion`), and a
//! `<ContinuationToken>` where more follow. Read with the same strict pull reader as a
//! listing, bounded the same way.

use chrono::{DateTime, Utc};

use super::{Event, Reader, too_many_records};

/// One bucket of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub name: String,
    pub created: Option<DateTime<Utc>>,
    /// Where the bucket is, when the store says (AWS since 2024; most others never).
    pub region: Option<String>,
}

/// One page of ListBuckets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketList {
    pub buckets: Vec<Bucket>,
    /// Where the next page starts, when the store pages the list and more follow.
    pub next_token: Option<String>,
}

/// Reads a ListBuckets answer, refusing it as soon as it holds more than `max_records`
/// buckets.
pub fn bucket_list(body: &str, max_records: usize) -> Result<BucketList, String> {
    let mut reader = Reader::new(body);
    match reader.next()? {
        Some(Event::Start("ListAllMyBucketsResult")) => {}
        Some(Event::Start(other)) => {
            return Err(format!("expected a ListAllMyBucketsResult, got <{other}>"));
        }
        _ => return Err("not XML: no element".to_string()),
    }
    let mut list = BucketList::default();
    while let Some(event) = reader.next()? {
        match event {
            Event::End => break,
            Event::Text(_) => {}
            Event::Start("Buckets") => buckets(&mut reader, &mut list.buckets, max_records)?,
            Event::Start("ContinuationToken") if list.next_token.is_none() => {
                list.next_token = Some(reader.text_of()?).filter(|t| !t.is_empty());
            }
            Event::Start(_) => reader.skip_element()?,
        }
    }
    if reader.next()?.is_some() {
        return Err("not XML: content after the root element".to_string());
    }
    Ok(list)
}

fn buckets(
    reader: &mut Reader<'_>,
    into: &mut Vec<Bucket>,
    max_records: usize,
) -> Result<(), String> {
    while let Some(event) = reader.next()? {
        match event {
            Event::End => break,
            Event::Text(_) => {}
            Event::Start("Bucket") => {
                if into.len() == max_records {
                    return Err(too_many_records(max_records));
                }
                if let Some(bucket) = bucket(reader)? {
                    into.push(bucket);
                }
            }
            Event::Start(_) => reader.skip_element()?,
        }
    }
    Ok(())
}

/// A `<Bucket>`; `None` for one without a name (nothing could reach it).
fn bucket(reader: &mut Reader<'_>) -> Result<Option<Bucket>, String> {
    let (mut name, mut created, mut region) = (String::new(), None, None);
    while let Some(event) = reader.next()? {
        match event {
            Event::End => break,
            Event::Text(_) => {}
            Event::Start("Name") => name = reader.text_of()?,
            Event::Start("CreationDate") => {
                created = DateTime::parse_from_rfc3339(reader.text_of()?.trim())
                    .ok()
                    .map(|t| t.with_timezone(&Utc));
            }
            Event::Start("BucketRegion") => {
                region = Some(reader.text_of()?.trim().to_string()).filter(|r| !r.is_empty());
            }
            Event::Start(_) => reader.skip_element()?,
        }
    }
    Ok((!name.is_empty()).then_some(Bucket {
        name,
        created,
        region,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_read_with_their_region_and_token_where_the_store_gives_them() {
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Owner><ID>abc</ID><DisplayName>me</DisplayName></Owner>
  <Buckets>
    <Bucket><Name>alpha</Name><CreationDate>2024-01-02T03:04:05.000Z</CreationDate><BucketRegion>eu-west-1</BucketRegion></Bucket>
    <Bucket><Name>b&amp;c</Name><CreationDate>not a date</CreationDate></Bucket>
    <Bucket><CreationDate>2024-01-02T03:04:05.000Z</CreationDate></Bucket>
  </Buckets>
  <ContinuationToken>next/page+1=</ContinuationToken>
  <Prefix></Prefix>
</ListAllMyBucketsResult>"#;
        let list = bucket_list(body, 10).unwrap();
        assert_eq!(list.buckets.len(), 2);
        assert_eq!(list.buckets[0].name, "alpha");
        assert_eq!(list.buckets[0].region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            list.buckets[0].created.unwrap().to_rfc3339(),
            "2024-01-02T03:04:05+00:00"
        );
        assert_eq!(list.buckets[1].name, "b&c");
        assert_eq!(
            (list.buckets[1].created, &list.buckets[1].region),
            (None, &None)
        );
        assert_eq!(list.next_token.as_deref(), Some("next/page+1="));
        // MinIO, Ceph and s3s: no token, no region.
        let old = "<ListAllMyBucketsResult><Buckets><Bucket><Name>x</Name></Bucket></Buckets></ListAllMyBucketsResult>";
        let list = bucket_list(old, 10).unwrap();
        assert_eq!((list.buckets.len(), list.next_token), (1, None));
        let err = bucket_list(body, 1).unwrap_err();
        assert!(err.contains("more than 1 records"), "{err}");
        assert!(bucket_list("<ListBucketResult/>", 10).is_err());
    }
}
