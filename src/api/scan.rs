//! Reading a whole listing as fast as the API allows: the largest page size, and when the
//! API reports a total, several pages in flight at once (each decoded in a task of its own),
//! handed over in page order. `ls --all`, `stats` and the insight view's background scan use it.

use futures::{StreamExt, stream};

use super::dialect::{Page, PageRequest};
use super::{ApiError, Client, ListQuery};

/// How far a scan has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub pages_done: usize,
    /// Known once the first page reports a total.
    pub pages_total: Option<usize>,
}

/// Calls `on_page` with every page of `query` in order, `size` records per page, up to `jobs`
/// pages in flight when the total is known (one at a time otherwise). Stops early when
/// `on_page` returns false.
pub async fn each_page(
    client: &Client,
    query: &ListQuery,
    size: usize,
    jobs: usize,
    mut on_page: impl FnMut(Page, Progress) -> bool,
) -> Result<(), ApiError> {
    let request = move |number| PageRequest { number, size };
    let first = client.list_page(query, request(1)).await?;
    let total_pages = first.total.map(|t| t.div_ceil(size).max(1));
    let mut more = more_after(1, first.records.len(), size, first.has_next, first.total);
    let progress = |done| Progress {
        pages_done: done,
        pages_total: total_pages,
    };
    if !on_page(first, progress(1)) {
        return Ok(());
    }
    match total_pages {
        Some(pages) if more && jobs > 1 => {
            let mut answers = stream::iter(2..=pages)
                .map(|n| {
                    let (client, query) = (client.clone(), query.clone());
                    tokio::spawn(async move { client.list_page(&query, request(n)).await })
                })
                .buffered(jobs);
            let mut done = 1;
            while let Some(page) = answers.next().await {
                let page =
                    page.map_err(|e| ApiError::Config(format!("a page task failed: {e}")))??;
                done += 1;
                if !on_page(page, progress(done)) {
                    break;
                }
            }
        }
        _ => {
            let mut number = 1;
            while more {
                number += 1;
                let page = client.list_page(query, request(number)).await?;
                more = more_after(number, page.records.len(), size, page.has_next, page.total);
                if !on_page(page, progress(number)) {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Whether another page follows page `number` that held `len` records.
pub fn more_after(
    number: usize,
    len: usize,
    size: usize,
    has_next: Option<bool>,
    total: Option<usize>,
) -> bool {
    if len == 0 {
        return false;
    }
    match (has_next, total) {
        (Some(next), _) => next,
        (None, Some(total)) => number * size < total,
        (None, None) => len >= size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_a_listing() {
        assert!(
            !more_after(1, 0, 100, Some(true), None),
            "an empty page ends it"
        );
        assert!(more_after(1, 100, 100, Some(true), None));
        assert!(!more_after(3, 100, 100, None, Some(300)));
        assert!(more_after(2, 100, 100, None, Some(301)));
        assert!(!more_after(1, 99, 100, None, None));
    }
}
