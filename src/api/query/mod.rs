//! What a listing asks the server for: sort, search and filter terms, in normalized terms that
//! each dialect maps onto its own parameters. What the server cannot do is planned as local
//! work in [`plan`].

pub mod filter;
pub mod plan;

use std::fmt;

use filter::Term;

/// A sortable column, by its normalized name (`ls --sort` and the UI use these names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortField {
    Name,
    Size,
    Type,
    Created,
    Updated,
}

impl SortField {
    pub const ALL: [SortField; 5] = [
        SortField::Name,
        SortField::Size,
        SortField::Type,
        SortField::Created,
        SortField::Updated,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SortField::Name => "name",
            SortField::Size => "size",
            SortField::Type => "type",
            SortField::Created => "created",
            SortField::Updated => "updated",
        }
    }

    pub fn parse(s: &str) -> Option<SortField> {
        SortField::ALL.into_iter().find(|f| f.name() == s)
    }

    /// The direction users usually want first: newest and biggest on top, names A to Z.
    pub fn natural_order(self) -> Order {
        match self {
            SortField::Name | SortField::Type => Order::Asc,
            SortField::Size | SortField::Created | SortField::Updated => Order::Desc,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Order {
    Asc,
    Desc,
}

impl Order {
    pub fn flipped(self) -> Order {
        match self {
            Order::Asc => Order::Desc,
            Order::Desc => Order::Asc,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Order::Asc => "asc",
            Order::Desc => "desc",
        }
    }

    pub fn arrow(self) -> &'static str {
        match self {
            Order::Asc => "↑",
            Order::Desc => "↓",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sort {
    pub field: SortField,
    pub order: Order,
}

impl fmt::Display for Sort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field.name(), self.order.arrow())
    }
}

/// One listing's server-side parameters. Two queries that are equal list the same rows in the
/// same order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListQuery {
    /// The order to ask for; for an API that cannot sort, its own fixed order.
    pub sort: Sort,
    /// The user asked for `sort` (rather than the API's own order): an API whose own order
    /// is not known (a declared dialect) is sent sort parameters only then.
    pub sort_asked: bool,
    /// Free-text search; empty means none.
    pub search: String,
    /// Structured filters the server applies.
    pub terms: Vec<Term>,
    /// List only what comes after this key (S3's `start-after`): the last rows of a listing
    /// read in order, found without walking it.
    pub start_after: Option<String>,
    /// Every file under the listing's folder at every depth, not one level with its folders
    /// as rows (S3 leaves out its delimiter): what the insight scan sums.
    pub recursive: bool,
    /// List the versions kept (every version and delete marker) instead of the live files,
    /// where the store keeps them ([`crate::api::Dialect::lists_versions`]).
    pub versions: Option<Versions>,
}

/// Whose versions a listing lists.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Versions {
    /// Every key the listing holds (its folder, prefix or search).
    Listing,
    /// One key's, exactly (not those of longer keys it is a prefix of).
    Of(String),
}

impl ListQuery {
    pub fn new(sort: Sort) -> Self {
        ListQuery {
            sort,
            sort_asked: false,
            search: String::new(),
            terms: Vec::new(),
            start_after: None,
            recursive: false,
            versions: None,
        }
    }

    /// The value of the first term of this kind, e.g. `query.term(|t| match t { … })`.
    pub fn term<'a, T>(&'a self, pick: impl Fn(&'a Term) -> Option<T>) -> Option<T> {
        self.terms.iter().find_map(pick)
    }

    /// The key prefix an object store lists for this query under `root` (the prefix its URL
    /// names): the folder entered (a full prefix already, a row's id), or a `/…` search or
    /// `prefix:` term from the root (`/logs/2025` and `prefix:logs/2025` are the same).
    pub fn key_prefix_under(&self, root: &str) -> String {
        let asked = self
            .term(|t| match t {
                Term::Prefix(p) => Some(p.clone()),
                _ => None,
            })
            .or_else(|| (!self.search.is_empty()).then(|| self.search.clone()));
        if let Some(asked) = asked {
            return format!("{root}{}", asked.trim_start_matches('/'));
        }
        self.term(|t| match t {
            Term::Folder(f) => Some(f.clone()),
            _ => None,
        })
        .unwrap_or_else(|| root.to_string())
    }
}
