//! The local view: the loaded rows of a listing, filtered and sorted by filescope because the
//! server cannot do it. It grows page by page as pages arrive, merging each new page into the
//! sorted rows in O(n), so loading 100,000 rows costs no repeated full sorts.

use std::cmp::Ordering;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

use super::paged::PagedList;
use crate::api::plan::{Local, cmp_caseless};
use crate::api::query::{Order, SortField};
use crate::api::record::FileRecord;

/// A row with a compact sort key, so sorting and merging a million rows compares integers in
/// one contiguous array instead of chasing each record through memory.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The field, mapped so that ascending integer order is the wanted order. The top bit
    /// says the record lacks the field (those go last, whatever the direction). Numbers and
    /// times fill 65 bits above the row number, so the key alone orders them; a text is its
    /// first 15 lower-cased bytes, and texts equal there are ordered by the whole text.
    key: u128,
    /// A text's next 8 lower-cased bytes (0 for numbers): most texts that share their first
    /// 15 bytes differ here, so few are compared whole. It fills what would be padding. A
    /// text shorter than 23 bytes is in `key` and `more` whole (its last byte is 0): two such
    /// texts with equal keys are equal, and are never looked up.
    more: u64,
    row: usize,
}

const MISSING: u128 = 1 << 127;
/// Bits below a number's value: the row number, so equal values keep the server's order.
const ROW_BITS: u32 = 62;

/// The row a number's key holds.
fn row_of(key: u128) -> usize {
    (key & ((1 << ROW_BITS) - 1)) as usize
}

#[derive(Debug)]
pub struct LocalView {
    local: Local,
    /// The rows shown, in view order.
    rows: Vec<Entry>,
}

/// The first 15 bytes of `text`, lower-cased, as a big-endian integer: comparing two prefixes
/// as integers compares the texts' beginnings.
fn text_prefix(text: &str) -> (u128, u64) {
    let mut bytes = [0u8; 24];
    let n = text.len().min(23);
    bytes[1..=n].copy_from_slice(&text.as_bytes()[..n]);
    // A fixed-length loop: a few vector instructions.
    for b in &mut bytes {
        *b = b.to_ascii_lowercase();
    }
    let (head, tail) = bytes.split_at(16);
    let mut first = [0u8; 16];
    first.copy_from_slice(head);
    let mut next = [0u8; 8];
    next.copy_from_slice(tail);
    (u128::from_be_bytes(first), u64::from_be_bytes(next))
}

impl LocalView {
    pub fn new(local: Local) -> Self {
        LocalView {
            local,
            rows: Vec::new(),
        }
    }

    pub fn local(&self) -> &Local {
        &self.local
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The underlying row shown at view position `i`.
    pub fn get(&self, i: usize) -> Option<usize> {
        self.rows.get(i).map(|e| e.row)
    }

    /// Where an underlying row is shown, if it passes the filter and is loaded.
    pub fn position_of(&self, row: usize) -> Option<usize> {
        self.rows.iter().position(|e| e.row == row)
    }

    /// Whether texts equal in their keys must still be compared whole.
    fn by_text(&self) -> bool {
        self.local
            .sort
            .is_some_and(|s| matches!(s.field, SortField::Name | SortField::Type))
    }

    fn entry(&self, row: usize, record: &FileRecord) -> Entry {
        let Some(sort) = self.local.sort else {
            return Entry {
                key: 0,
                more: 0,
                row,
            };
        };
        let desc = sort.order == Order::Desc;
        let number = |n: Option<i128>| match n {
            Some(n) => {
                // Values fit 64 bits and their negations: shifted to 0 ..= 2^65, they keep
                // their order as unsigned numbers.
                let n = if desc { -n } else { n };
                let value = (n + (1 << 64)) as u128;
                (
                    (value << ROW_BITS) | (row as u128 & ((1 << ROW_BITS) - 1)),
                    0,
                )
            }
            None => (MISSING | (row as u128 & ((1 << ROW_BITS) - 1)), 0),
        };
        let text = |t: Option<&str>| match t {
            Some(t) => {
                let (p, more) = text_prefix(t);
                if desc {
                    (!p & ((1 << 120) - 1), !more)
                } else {
                    (p, more)
                }
            }
            None => (MISSING, 0),
        };
        let (key, more) = match sort.field {
            SortField::Size => number(record.size.map(i128::from)),
            SortField::Created => {
                number(record.created_at.map(|t| i128::from(t.timestamp_micros())))
            }
            SortField::Updated => {
                number(record.updated_at.map(|t| i128::from(t.timestamp_micros())))
            }
            SortField::Name => text(Some(&record.name)),
            SortField::Type => text(record.content_type.as_deref()),
        };
        Entry { key, more, row }
    }

    /// View order: the key, then for texts of 23 bytes or more equal there the whole text, then
    /// the server's order (row number), so the view is the same whichever order pages arrive.
    fn order<'r>(
        &self,
        record: impl Fn(usize) -> Option<&'r FileRecord>,
        a: &Entry,
        b: &Entry,
    ) -> Ordering {
        (a.key, a.more)
            .cmp(&(b.key, b.more))
            .then_with(|| {
                if a.key & MISSING == 0 && a.more & 0xff != 0 && self.by_text() {
                    self.whole_text(record(a.row), record(b.row))
                } else {
                    Ordering::Equal
                }
            })
            .then(a.row.cmp(&b.row))
    }

    /// Two records' sorted texts compared whole, in the view's direction.
    fn whole_text(&self, x: Option<&FileRecord>, y: Option<&FileRecord>) -> Ordering {
        let (Some(sort), Some(x), Some(y)) = (self.local.sort, x, y) else {
            return Ordering::Equal;
        };
        let (x, y) = match sort.field {
            SortField::Name => (x.name.as_str(), y.name.as_str()),
            _ => (
                x.content_type.as_deref().unwrap_or(""),
                y.content_type.as_deref().unwrap_or(""),
            ),
        };
        let full = cmp_caseless(x, y);
        if sort.order == Order::Desc {
            full.reverse()
        } else {
            full
        }
    }

    /// Builds a view over a snapshot of loaded pages (see [`PagedList::snapshot`]), away from
    /// the UI task. Returns `None` as soon as `cancel` is set: a newer sort or filter won.
    pub fn build(
        local: Local,
        page_size: usize,
        pages: &[(usize, Arc<Vec<FileRecord>>)],
        cancel: &AtomicBool,
    ) -> Option<LocalView> {
        let mut view = LocalView::new(local);
        let record = |row: usize| {
            let page = row / page_size + 1;
            let i = pages.binary_search_by_key(&page, |(p, _)| *p).ok()?;
            pages[i].1.get(row % page_size)
        };
        let filtered = view.local.text.is_some() || !view.local.terms.is_empty();
        let loaded: usize = pages.iter().map(|(_, r)| r.len()).sum();
        // A number's key holds its row: the keys alone are sorted, one array of 16-byte
        // integers rather than the rows themselves.
        let by_number = view.local.sort.is_some() && !view.by_text();
        let mut keys: Vec<u128> =
            Vec::with_capacity(if by_number && !filtered { loaded } else { 0 });
        let mut entries = Vec::with_capacity(if filtered || by_number { 0 } else { loaded });
        let matcher = view.local.matcher();
        for (page, records) in pages {
            if cancel.load(AtomicOrdering::Relaxed) {
                return None;
            }
            let first = (page - 1) * page_size;
            for (i, r) in records.iter().enumerate() {
                if matcher.matches(r) {
                    let entry = view.entry(first + i, r);
                    if by_number {
                        keys.push(entry.key);
                    } else {
                        entries.push(entry);
                    }
                }
            }
        }
        if cancel.load(AtomicOrdering::Relaxed) {
            return None;
        }
        if view.local.sort.is_some() {
            if by_number {
                keys.sort_unstable();
                entries = keys
                    .into_iter()
                    .map(|key| Entry {
                        key,
                        more: 0,
                        row: row_of(key),
                    })
                    .collect();
            } else {
                // Integers first; then only runs of texts equal in their first 23 bytes are
                // compared whole.
                entries.sort_unstable_by_key(|e| (e.key, e.more, e.row));
                // Texts shorter than their key are in it whole: equal keys, equal texts.
                let tie = |a: &Entry, b: &Entry| {
                    (a.key, a.more) == (b.key, b.more) && a.key & MISSING == 0 && a.more & 0xff != 0
                };
                for run in entries.chunk_by_mut(tie) {
                    if run.len() > 1 {
                        run.sort_unstable_by(|a, b| view.order(record, a, b));
                    }
                }
            }
        }
        view.rows = entries;
        Some(view)
    }

    /// Adds the rows of a newly loaded page (and of any page it filled, see
    /// [`PagedList::apply`]) that pass the local filter, in sorted position.
    pub fn add_pages(&mut self, list: &PagedList, pages: impl IntoIterator<Item = usize>) {
        let size = list.page_size();
        let mut fresh: Vec<Entry> = Vec::new();
        let matcher = self.local.matcher();
        for page in pages {
            let first = (page - 1) * size;
            for (i, record) in list.page_records(page).iter().enumerate() {
                if matcher.matches(record) {
                    fresh.push(self.entry(first + i, record));
                }
            }
        }
        if fresh.is_empty() {
            return;
        }
        let record = |row| list.record(row);
        fresh.sort_unstable_by(|a, b| self.order(record, a, b));
        let old = std::mem::take(&mut self.rows);
        let mut merged = Vec::with_capacity(old.len() + fresh.len());
        let mut fresh = fresh.into_iter().peekable();
        for entry in old {
            while let Some(next) =
                fresh.next_if(|f| self.order(record, f, &entry) == Ordering::Less)
            {
                merged.push(next);
            }
            merged.push(entry);
        }
        merged.extend(fresh);
        self.rows = merged;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::dialect::Page;
    use crate::api::filter::{Cmp, SizeUnit, Term};
    use crate::api::query::{Order, Sort, SortField};
    use crate::api::record::FileRecord;
    use serde_json::value::RawValue;

    fn record(name: &str, size: u64) -> FileRecord {
        FileRecord {
            id: format!("id-{name}"),
            name: name.to_string(),
            size: Some(size),
            content_type: Some(
                if size.is_multiple_of(2) {
                    "image/png"
                } else {
                    "text/plain"
                }
                .into(),
            ),
            created_at: None,
            updated_at: None,
            url: None,
            problems: Vec::new(),
            raw: RawValue::from_string("{}".to_string()).unwrap(),
        }
    }

    /// A listing of `sizes` in pages of 3, every page requested and loaded, in `arrival` order.
    fn loaded(sizes: &[u64], arrival: &[usize]) -> PagedList {
        let mut list = PagedList::new(3);
        let g = list.reset();
        list.request_rows(0..sizes.len());
        for &page in arrival {
            let records = sizes
                .iter()
                .enumerate()
                .skip((page - 1) * 3)
                .take(3)
                .map(|(i, s)| record(&format!("f{i}"), *s))
                .collect();
            let answer = Page {
                records,
                total: Some(sizes.len()),
                has_next: None,
                scope: None,
                ..Page::default()
            };
            list.apply(g, page, Ok(answer));
        }
        list
    }

    fn sizes(view: &LocalView, list: &PagedList) -> Vec<u64> {
        (0..view.len())
            .map(|i| list.record(view.get(i).unwrap()).unwrap().size.unwrap())
            .collect()
    }

    #[test]
    fn pages_merge_into_one_sorted_view_whatever_their_arrival_order() {
        let data = [5, 1, 9, 3, 3, 8, 2, 7];
        let local = Local {
            sort: Some(Sort {
                field: SortField::Size,
                order: Order::Desc,
            }),
            ..Local::default()
        };
        let list = loaded(&data, &[3, 1, 2]);
        let mut view = LocalView::new(local.clone());
        for page in [3, 1, 2] {
            view.add_pages(&list, [page]);
        }
        assert_eq!(sizes(&view, &list), vec![9, 8, 7, 5, 3, 3, 2, 1]);
        // Equal sizes keep the server's order: row 3 before row 4.
        assert_eq!(view.position_of(3), Some(4));
        assert_eq!(view.position_of(4), Some(5));

        let mut once = LocalView::new(local);
        once.add_pages(&list, [1, 2, 3]);
        let rows = |v: &LocalView| v.rows.iter().map(|e| e.row).collect::<Vec<_>>();
        assert_eq!(rows(&once), rows(&view));
    }

    #[test]
    fn a_view_built_from_a_snapshot_equals_one_grown_page_by_page() {
        let data = [5, 1, 9, 3, 3, 8, 2, 7];
        let local = Local {
            sort: Some(Sort {
                field: SortField::Size,
                order: Order::Asc,
            }),
            ..Local::default()
        };
        let list = loaded(&data, &[1, 2, 3]);
        let mut grown = LocalView::new(local.clone());
        grown.add_pages(&list, [2, 3, 1]);
        let cancel = AtomicBool::new(false);
        let built = LocalView::build(local.clone(), 3, &list.snapshot(), &cancel).unwrap();
        let rows = |v: &LocalView| v.rows.iter().map(|e| e.row).collect::<Vec<_>>();
        assert_eq!(rows(&built), rows(&grown));
        cancel.store(true, AtomicOrdering::Relaxed);
        assert!(LocalView::build(local, 3, &list.snapshot(), &cancel).is_none());
    }

    #[test]
    fn only_matching_rows_are_shown() {
        let data = [5, 1, 9, 4, 3, 8];
        let list = loaded(&data, &[1, 2]);
        let mut view = LocalView::new(Local {
            terms: vec![
                Term::Size(Cmp::Gt, 3, SizeUnit::B),
                Term::Type("image".into()),
            ],
            ..Local::default()
        });
        view.add_pages(&list, [1, 2]);
        assert_eq!(sizes(&view, &list), vec![4, 8], "server order, filtered");

        let mut by_name = LocalView::new(Local {
            text: Some("f1".into()),
            ..Local::default()
        });
        by_name.add_pages(&list, [1, 2]);
        assert_eq!(sizes(&by_name, &list), vec![1]);
    }

    #[test]
    fn sorted_views_agree_with_the_full_comparison_on_awkward_keys() {
        // Long names sharing their first 23 bytes, case variants, equal names, sizes at the
        // ends of the range, records without the field.
        let long = "a-very-long-shared-prefix-of-a-name";
        let names = [
            format!("{long}-b.txt"),
            format!("{long}-A.txt"),
            "Report.pdf".to_string(),
            "report.pdf".to_string(),
            long[..23].to_string(),
            format!("{long}-a.txt"),
            "b".to_string(),
            String::new(),
            "REPORT.PDF".to_string(),
            long.to_string(),
        ];
        let sizes = [u64::MAX, 0, 7, 7, 1 << 40, 0, u64::MAX - 1, 3, 7, 12];
        let records: Vec<FileRecord> = names
            .iter()
            .zip(sizes)
            .enumerate()
            .map(|(i, (name, size))| {
                let mut r = record(name, size);
                if i % 4 == 3 {
                    r.size = None;
                    r.content_type = None;
                }
                r
            })
            .collect();
        let mut list = PagedList::new(4);
        let g = list.reset();
        list.request_rows(0..records.len());
        for (page, chunk) in records.chunks(4).enumerate() {
            let answer = Page {
                records: chunk.to_vec(),
                total: Some(records.len()),
                ..Page::default()
            };
            list.apply(g, page + 1, Ok(answer));
        }
        for field in [SortField::Name, SortField::Size, SortField::Type] {
            for order in [Order::Asc, Order::Desc] {
                let local = Local {
                    sort: Some(Sort { field, order }),
                    ..Local::default()
                };
                let mut expected: Vec<usize> = (0..records.len()).collect();
                expected.sort_by(|&a, &b| local.compare(&records[a], &records[b]));
                let cancel = AtomicBool::new(false);
                let built = LocalView::build(local.clone(), 4, &list.snapshot(), &cancel).unwrap();
                let mut grown = LocalView::new(local.clone());
                for page in [3, 1, 2] {
                    grown.add_pages(&list, [page]);
                }
                let rows = |v: &LocalView| v.rows.iter().map(|e| e.row).collect::<Vec<_>>();
                assert_eq!(rows(&built), expected, "{field:?} {order:?} built");
                assert_eq!(rows(&grown), expected, "{field:?} {order:?} grown");
            }
        }
    }
}
