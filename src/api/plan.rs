//! Splits what a user asked for (a sort and a [`Filter`]) into what the server does and what
//! filescope must do itself over the rows it has loaded. The TUI and `ls` both plan with this,
//! so "sorted locally" means the same everywhere.

use std::cmp::Ordering;

use super::dialect::{Dialect, Search};
use super::filter::{Filter, Term};
use super::query::{ListQuery, Order, Sort, SortField};
use super::record::FileRecord;

/// The work filescope does over loaded rows because the server cannot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Local {
    /// Sort the rows this way (stable: ties keep the server's order).
    pub sort: Option<Sort>,
    /// Keep rows whose name or id contains this text (lower-cased already).
    pub text: Option<String>,
    /// Keep rows that pass every one of these terms.
    pub terms: Vec<Term>,
}

impl Local {
    pub fn is_empty(&self) -> bool {
        self.sort.is_none() && !self.filters()
    }

    /// Whether rows are filtered locally (as opposed to only sorted).
    pub fn filters(&self) -> bool {
        self.text.is_some() || !self.terms.is_empty()
    }

    pub fn matches(&self, record: &FileRecord) -> bool {
        if let Some(text) = &self.text
            && !(contains_caseless(&record.name, text) || contains_caseless(&record.id, text))
        {
            return false;
        }
        self.terms.iter().all(|t| t.matches(record))
    }

    /// Orders two records by the local sort; records without the field go last either way.
    pub fn compare(&self, a: &FileRecord, b: &FileRecord) -> Ordering {
        let Some(sort) = self.sort else {
            return Ordering::Equal;
        };
        compare_by(sort, a, b)
    }
}

/// Whether `haystack` contains `needle` (already lower-case), ignoring case. ASCII text, the
/// common case, is searched without allocating; anything else is lower-cased first.
pub fn contains_caseless(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle.as_bytes());
        let Some((&first, _)) = n.split_first() else {
            return true;
        };
        let upper = first.to_ascii_uppercase();
        // Only positions whose first byte matches are compared in full.
        return h.len() >= n.len()
            && h[..=h.len() - n.len()]
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == first || **b == upper)
                .any(|(i, _)| h[i..i + n.len()].eq_ignore_ascii_case(n));
    }
    haystack.to_lowercase().contains(needle)
}

/// Compares two names ignoring case, without allocating for ASCII names.
pub fn cmp_caseless(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a
            .bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()));
    }
    a.to_lowercase().cmp(&b.to_lowercase())
}

/// Orders two records by a sort; a missing value goes last whatever the direction.
pub fn compare_by(sort: Sort, a: &FileRecord, b: &FileRecord) -> Ordering {
    fn with_order<T: Ord>(a: Option<T>, b: Option<T>, order: Order) -> Ordering {
        match (a, b) {
            (Some(a), Some(b)) => match order {
                Order::Asc => a.cmp(&b),
                Order::Desc => b.cmp(&a),
            },
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    let order = sort.order;
    match sort.field {
        SortField::Name => {
            let by_name = cmp_caseless(&a.name, &b.name);
            match order {
                Order::Asc => by_name,
                Order::Desc => by_name.reverse(),
            }
        }
        SortField::Size => with_order(a.size, b.size, order),
        SortField::Type => with_order(a.content_type.as_deref(), b.content_type.as_deref(), order),
        SortField::Created => with_order(a.created_at, b.created_at, order),
        SortField::Updated => with_order(a.updated_at, b.updated_at, order),
    }
}

/// A listing: what to ask the server, and what to do locally with its answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub server: ListQuery,
    pub local: Local,
}

/// Plans `sort` (`None`: the server's own order) and `filter` for `dialect`. The filter must
/// have been parsed with the dialect's [`Dialect::filter_keys`], so every term here is either
/// server-side or local-capable.
pub fn plan(dialect: &dyn Dialect, sort: Option<Sort>, filter: &Filter) -> Plan {
    let caps = dialect.capabilities();
    let mut server = ListQuery::new(caps.default_sort);
    let mut local = Local::default();
    if let Some(sort) = sort {
        if caps.can_sort(sort.field) {
            server.sort = sort;
            // The API's own documented order needs no asking.
            server.sort_asked = !(caps.order_known && sort == caps.default_sort);
        } else if !(caps.order_known && sort == caps.default_sort) {
            local.sort = Some(sort);
        }
    }
    if !filter.text.is_empty() {
        match caps.search {
            Search::None => local.text = Some(filter.text.to_lowercase()),
            Search::Substring | Search::Glob => server.search = filter.text.clone(),
        }
    }
    for term in &filter.terms {
        if dialect.applies_on_server(term) {
            server.terms.push(term.clone());
        } else {
            local.terms.push(term.clone());
        }
    }
    Plan { server, local }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caseless_search_and_order_agree_with_lowercasing() {
        assert!(contains_caseless("Annual-REPORT.pdf", "report"));
        assert!(!contains_caseless("Annual.pdf", "report"));
        assert!(contains_caseless("anything", ""));
        assert!(
            contains_caseless("ÉTAT Report", "état"),
            "non-ASCII falls back"
        );
        for (a, b) in [
            ("b", "A"),
            ("abc", "ABD"),
            ("Zoë", "zoe"),
            ("x", "x"),
            ("", "a"),
        ] {
            assert_eq!(
                cmp_caseless(a, b),
                a.to_lowercase().cmp(&b.to_lowercase()),
                "{a} vs {b}"
            );
        }
    }
}
