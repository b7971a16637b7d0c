//! The listing as data: the sparse paged dataset, the cursor over it, and the prefetch policy.
//! Pure code with no I/O and no terminal, tested on its own.

pub mod cursor;
pub mod local;
pub mod paged;
pub mod prefetch;

pub use cursor::{Cursor, Motion, wanted_rows};
pub use local::LocalView;
pub use paged::{Applied, Generation, PageSlot, PagedList, Row};
pub use prefetch::Prefetch;
