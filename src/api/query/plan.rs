//! Splits what a user asked for (a sort and a [`Filter`]) into what the server does and what
//! filescope must do itself over the rows it has loaded. The TUI and `ls` both plan with this,
//! so "sorted locally" means the same everywhere.

use std::cmp::Ordering;

use super::filter::{Filter, Term};
use super::{ListQuery, Order, Sort, SortField};
use crate::api::dialect::{Dialect, Search};
use crate::api::record::FileRecord;

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

    /// The filter prepared for testing many records: make it once, then ask it per record.
    pub fn matcher(&self) -> Matcher<'_> {
        Matcher {
            needle: self.text.as_deref().map(Needle::new),
            terms: &self.terms,
        }
    }

    /// Whether one record passes the filter (for many, use [`Local::matcher`]).
    pub fn matches(&self, record: &FileRecord) -> bool {
        self.matcher().matches(record)
    }

    /// Orders two records by the local sort; records without the field go last either way.
    pub fn compare(&self, a: &FileRecord, b: &FileRecord) -> Ordering {
        let Some(sort) = self.sort else {
            return Ordering::Equal;
        };
        compare_by(sort, a, b)
    }
}

/// A local filter ready to test records: the text prepared for searching, and the terms.
pub struct Matcher<'a> {
    needle: Option<Needle<'a>>,
    terms: &'a [Term],
}

impl Matcher<'_> {
    pub fn matches(&self, record: &FileRecord) -> bool {
        if let Some(needle) = &self.needle
            && !(needle.found_in(&record.name) || needle.found_in(&record.id))
        {
            return false;
        }
        self.terms.iter().all(|t| t.matches(record))
    }
}

/// A lower-case text to find in many others, ignoring case.
pub struct Needle<'a> {
    text: &'a str,
    ascii: bool,
    finder: memchr::memmem::Finder<'a>,
}

impl<'a> Needle<'a> {
    pub fn new(text: &'a str) -> Self {
        Needle {
            text,
            ascii: text.is_ascii(),
            finder: memchr::memmem::Finder::new(text.as_bytes()),
        }
    }

    /// Whether `haystack` contains the needle, ignoring case. An ASCII needle is searched
    /// for (a vector at a time) in the haystack with its ASCII letters lower-cased, which
    /// finds every match but those that only Unicode lower-casing makes (the Kelvin sign is
    /// a `k`): a haystack that is not ASCII is lower-cased whole before it counts as a miss.
    pub fn found_in(&self, haystack: &str) -> bool {
        if self.ascii {
            let h = haystack.as_bytes();
            let found = if h.len() <= 64 {
                let mut lowered = [0u8; 64];
                lowered[..h.len()].copy_from_slice(h);
                // Fixed length: a few vector instructions.
                for b in &mut lowered {
                    *b = b.to_ascii_lowercase();
                }
                self.finder.find(&lowered[..h.len()]).is_some()
            } else {
                self.finder.find(&h.to_ascii_lowercase()).is_some()
            };
            if found || h.is_ascii() {
                return found;
            }
        }
        haystack.to_lowercase().contains(self.text)
    }
}

/// Whether `haystack` contains `needle` (already lower-case), ignoring case.
pub fn contains_caseless(haystack: &str, needle: &str) -> bool {
    Needle::new(needle).found_in(haystack)
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
            Search::Prefix if filter.text.starts_with('/') => {
                server.search = filter.text.clone();
            }
            Search::Prefix => local.text = Some(filter.text.to_lowercase()),
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
        assert!(contains_caseless("ÉTAT Report", "report"));
        assert!(
            contains_caseless("\u{212a}ey.txt", "key"),
            "the Kelvin sign lower-cases to k"
        );
        assert!(!contains_caseless("Éta.txt", "key"));
        let long = format!("{}Needle", "x".repeat(100));
        assert!(contains_caseless(&long, "needle"));
        assert!(!contains_caseless(&long, "needles"));
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
