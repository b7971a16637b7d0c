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
    /// Records without the sorted field go last, whatever the direction.
    missing: bool,
    /// The field, mapped so that ascending integer order is the wanted order: numbers and
    /// times as they are (negated for descending), text by its first 15 lower-cased bytes.
    primary: u128,
    row: usize,
}

#[derive(Debug)]
pub struct LocalView {
    local: Local,
    /// The rows shown, in view order.
    rows: Vec<Entry>,
}

/// The first 15 bytes of `text`, lower-cased, as a big-endian integer: comparing two prefixes
/// as integers compares the texts' beginnings.
fn text_prefix(text: &str) -> u128 {
    let mut bytes = [0u8; 16];
    for (slot, b) in bytes[1..].iter_mut().zip(text.bytes()) {
        *slot = b.to_ascii_lowercase();
    }
    u128::from_be_bytes(bytes)
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

    fn entry(&self, row: usize, record: &FileRecord) -> Entry {
        let Some(sort) = self.local.sort else {
            return Entry {
                missing: false,
                primary: 0,
                row,
            };
        };
        let number = |n: Option<i128>| match n {
            Some(n) => {
                let n = if sort.order == Order::Desc { -n } else { n };
                // Shift into unsigned order.
                (false, (n as u128) ^ (1 << 127))
            }
            None => (true, 0),
        };
        let text = |t: Option<&str>| match t {
            Some(t) => {
                let p = text_prefix(t);
                (false, if sort.order == Order::Desc { !p } else { p })
            }
            None => (true, 0),
        };
        let (missing, primary) = match sort.field {
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
        Entry {
            missing,
            primary,
            row,
        }
    }

    /// View order: the key, then for texts equal in their first 15 bytes the whole text, then
    /// the server's order (row number), so the view is the same whichever order pages arrive.
    fn order<'r>(
        &self,
        record: impl Fn(usize) -> Option<&'r FileRecord>,
        a: &Entry,
        b: &Entry,
    ) -> Ordering {
        a.missing
            .cmp(&b.missing)
            .then(a.primary.cmp(&b.primary))
            .then_with(|| match (self.local.sort, record(a.row), record(b.row)) {
                (Some(sort), Some(x), Some(y))
                    if a.primary == b.primary
                        && !a.missing
                        && matches!(sort.field, SortField::Name | SortField::Type) =>
                {
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
                _ => Ordering::Equal,
            })
            .then(a.row.cmp(&b.row))
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
        let mut entries = Vec::new();
        for (page, records) in pages {
            if cancel.load(AtomicOrdering::Relaxed) {
                return None;
            }
            let first = (page - 1) * page_size;
            for (i, r) in records.iter().enumerate() {
                if view.local.matches(r) {
                    entries.push(view.entry(first + i, r));
                }
            }
        }
        if cancel.load(AtomicOrdering::Relaxed) {
            return None;
        }
        entries.sort_unstable_by(|a, b| view.order(record, a, b));
        view.rows = entries;
        Some(view)
    }

    /// Adds the rows of a newly loaded page (and of any page it filled, see
    /// [`PagedList::apply`]) that pass the local filter, in sorted position.
    pub fn add_pages(&mut self, list: &PagedList, pages: impl IntoIterator<Item = usize>) {
        let size = list.page_size();
        let mut fresh: Vec<Entry> = Vec::new();
        for page in pages {
            let first = (page - 1) * size;
            for (i, record) in list.page_records(page).iter().enumerate() {
                if self.local.matches(record) {
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
    use crate::api::filter::{Cmp, Term};
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
            terms: vec![Term::Size(Cmp::Gt, 3), Term::Type("image".into())],
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
}
