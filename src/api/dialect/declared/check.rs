//! `dialect check`: reads the first two pages through a definition and says, per field, what
//! it resolved, the paging it saw and every problem.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::api::dialect::{Continuation, Page, PageRequest};
use crate::api::{ApiError, Client, FileRecord, ListQuery};
use crate::text::{sanitize, thousands};

/// What one page said, as `dialect check` shows it.
#[derive(Debug)]
pub struct PageReport {
    pub number: usize,
    pub records: usize,
    pub total: Option<usize>,
    pub total_is_estimate: bool,
    pub has_next: Option<bool>,
    pub next: Option<Continuation>,
    pub last_page: Option<usize>,
    /// Per field: records that had it, and the first value seen.
    pub fields: Vec<(&'static str, usize, Option<String>)>,
    /// Problems reading records, with how many records had each.
    pub problems: BTreeMap<String, usize>,
    /// The first record's keys, to write paths against.
    pub keys: Vec<String>,
}

/// The first two pages of a listing through its dialect, judged field by field.
pub async fn check(client: &Client) -> Result<Vec<Result<PageReport, ApiError>>, ApiError> {
    let dialect = client.dialect();
    let query = ListQuery::new(dialect.capabilities().default_sort);
    let size = dialect.capabilities().ui_page_size.clamp(1, 20);
    let first = client
        .list_page(&query, PageRequest { number: 1, size })
        .await?;
    let mut reports = vec![Ok(report(1, &first))];
    let more = first.has_next != Some(false) && !first.records.is_empty();
    if more {
        let second = client
            .list_page_after(&query, PageRequest { number: 2, size }, first.next.as_ref())
            .await
            .map(|page| report(2, &page));
        reports.push(second);
    }
    Ok(reports)
}

fn report(number: usize, page: &Page) -> PageReport {
    let mut fields: Vec<(&'static str, usize, Option<String>)> = crate::api::record::FIELDS
        .into_iter()
        .map(|f| (f, 0, None))
        .collect();
    let mut problems: BTreeMap<String, usize> = BTreeMap::new();
    for record in &page.records {
        let values = field_values(record);
        for ((_, count, example), value) in fields.iter_mut().zip(values) {
            if let Some(value) = value {
                *count += 1;
                example.get_or_insert(value);
            }
        }
        for problem in &record.problems {
            *problems.entry(problem.clone()).or_default() += 1;
        }
    }
    let keys = page
        .records
        .first()
        .and_then(|r| serde_json::from_str::<Value>(r.raw.get()).ok())
        .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
        .unwrap_or_default();
    PageReport {
        number,
        records: page.records.len(),
        total: page.total,
        total_is_estimate: page.total_is_estimate,
        has_next: page.has_next,
        next: page.next.clone(),
        last_page: page.last_page,
        fields,
        problems,
        keys,
    }
}

/// The normalized fields of a record as text, `None` where empty.
fn field_values(r: &FileRecord) -> [Option<String>; 7] {
    let text = |s: &str| (!s.is_empty()).then(|| s.to_string());
    [
        text(&r.id),
        text(&r.name),
        r.size.map(|s| s.to_string()),
        r.content_type.clone(),
        r.created_at.as_ref().map(crate::text::full_date),
        r.updated_at.as_ref().map(crate::text::full_date),
        r.url.clone(),
    ]
}

/// The report as `dialect check` prints it; `Ok` when every field resolved on page 1 and
/// nothing failed, else the text with the problems called out.
pub fn describe(reports: &[Result<PageReport, ApiError>], secrets: &[&str]) -> (String, bool) {
    let mut out = String::new();
    let mut clean = true;
    for report in reports {
        let r = match report {
            Ok(r) => r,
            Err(e) => {
                clean = false;
                let _ = writeln!(out, "page 2: {}", sanitize(&e.to_string()));
                continue;
            }
        };
        let _ = writeln!(out, "page {}: {} records", r.number, thousands(r.records));
        let total = match (r.total, r.total_is_estimate) {
            (Some(t), false) => thousands(t),
            (Some(t), true) => format!("~{} (an estimate)", thousands(t)),
            (None, _) => "not given".to_string(),
        };
        let next = match &r.next {
            Some(Continuation::Cursor(c)) => format!("cursor {}", shorten(c, secrets)),
            Some(Continuation::Link(l)) => format!("link {}", shorten(l, secrets)),
            None => "none".to_string(),
        };
        let _ = writeln!(
            out,
            "  paging: total {total} · has_more {} · next {next}{}",
            r.has_next
                .map_or("not given".to_string(), |b| b.to_string()),
            r.last_page
                .map(|p| format!(" · last page {p}"))
                .unwrap_or_default()
        );
        for (field, count, example) in &r.fields {
            let example = example
                .as_deref()
                .map(|e| format!("  e.g. {}", shorten(e, secrets)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {field:<13} {:>5} of {:<5}{example}",
                thousands(*count),
                thousands(r.records)
            );
            if r.number == 1 && *count == 0 && r.records > 0 && matches!(*field, "id" | "name") {
                clean = false;
            }
        }
        for (problem, count) in &r.problems {
            clean = false;
            let _ = writeln!(
                out,
                "  problem in {} records: {}",
                thousands(*count),
                cut(problem, secrets, 300)
            );
        }
        if r.number == 1 && r.fields.iter().any(|(_, count, _)| *count == 0) && r.records > 0 {
            let keys: Vec<String> = r.keys.iter().map(|k| sanitize(k).into_owned()).collect();
            let _ = writeln!(out, "  a record's keys: {}", keys.join(", "));
        }
        if r.number == 1 && r.records == 0 {
            let _ = writeln!(
                out,
                "  no records on page 1: check `records` and the list path"
            );
        }
    }
    (out, clean)
}

/// A value made safe to print and cut to 60 characters, with secrets taken out.
fn shorten(text: &str, secrets: &[&str]) -> String {
    cut(text, secrets, 60)
}

/// A value made safe to print and cut to `max` characters, with secrets taken out.
fn cut(text: &str, secrets: &[&str], max: usize) -> String {
    let text = crate::api::error::redact(text, secrets);
    let safe = sanitize(&text);
    let mut out: String = safe.chars().take(max).collect();
    if safe.chars().count() > max {
        out.push('…');
    }
    out
}
