//! The local view: the loaded rows of a listing, filtered and sorted by filescope because the
//! server cannot do it. It grows page by page as pages arrive, merging each new page into the
//! sorted rows in O(n), so loading 100,000 rows costs no repeated full sorts.

use std::cmp::Ordering;

use super::paged::PagedList;
use crate::api::plan::Local;

#[derive(Debug)]
pub struct LocalView {
    local: Local,
    /// Row numbers in the underlying listing, in view order.
    rows: Vec<usize>,
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
        self.rows.get(i).copied()
    }

    /// Where an underlying row is shown, if it passes the filter and is loaded.
    pub fn position_of(&self, row: usize) -> Option<usize> {
        self.rows.iter().position(|&r| r == row)
    }

    /// Adds the rows of a newly loaded page (and of any page it filled, see
    /// [`PagedList::apply`]) that pass the local filter, in sorted position.
    pub fn add_pages(&mut self, list: &PagedList, pages: impl IntoIterator<Item = usize>) {
        let size = list.page_size();
        let mut fresh: Vec<usize> = Vec::new();
        for page in pages {
            let first = (page - 1) * size;
            fresh.extend(
                list.page_records(page)
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| self.local.matches(r))
                    .map(|(i, _)| first + i),
            );
        }
        if fresh.is_empty() {
            return;
        }
        // Ties keep the server's order (row number), so the view is the same whichever order
        // the pages arrived in.
        let order = |a: &usize, b: &usize| -> Ordering {
            match (list.record(*a), list.record(*b)) {
                (Some(x), Some(y)) => self.local.compare(x, y).then(a.cmp(b)),
                _ => a.cmp(b),
            }
        };
        fresh.sort_by(order);
        let old = std::mem::take(&mut self.rows);
        let mut merged = Vec::with_capacity(old.len() + fresh.len());
        let (mut i, mut j) = (0, 0);
        while i < old.len() && j < fresh.len() {
            if order(&old[i], &fresh[j]) == Ordering::Greater {
                merged.push(fresh[j]);
                j += 1;
            } else {
                merged.push(old[i]);
                i += 1;
            }
        }
        merged.extend_from_slice(&old[i..]);
        merged.extend_from_slice(&fresh[j..]);
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
        assert_eq!(once.rows, view.rows);
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
