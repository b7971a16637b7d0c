//! The listing as data: the sparse paged dataset, the cursor over it, the prefetch
//! policy, and how it is read (what to fetch, decided in `read`).
//! Pure code with no I/O and no terminal, tested on its own.

pub mod cursor;
pub mod local;
pub mod paged;
pub mod prefetch;
pub mod read;

pub use cursor::{Cursor, Motion};
pub use local::LocalView;
pub use paged::{Applied, Generation, PageSlot, PagedList, Row};
pub use prefetch::Prefetch;
pub use read::{Decision, LOAD_ALL_CONCURRENCY, LoadAll, Read, Tail, Walk, Want, wanted_rows};
