//! The synthetic file listing behind the demo server.
//!
//! Every record is a pure function of `(seed, index)` (and `len`, which fixes the
//! time step), computed on demand with a hand-written splitmix64 hash: starting a
//! server over ten million files costs nothing, and the data never changes across
//! crate upgrades because no external PRNG is involved. Only orderings other than
//! the natural one and filtered result sets are materialised, lazily, and cached.
//!
//! The natural order is `created_at` ascending: `created_at` is non-decreasing in
//! the index, so the default sort (`created_at` desc) is reverse index order and
//! needs no sorting at all.

use std::cmp::Ordering;
use std::fmt::{self, Write as _};
use std::num::NonZero;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

/// 2026-11-01T00:00:00Z: every `created_at` is strictly before this.
const END: i64 = 1_793_491_200;
/// Six years (2020-11-01 to 2026-11-01), the span `created_at` is spread over.
const SPAN: i64 = 189_302_400;
/// Where on the demo server's own origin the FileJar CDN serves files (see
/// [`DemoFile::url`]).
pub(super) const CDN_PREFIX: &str = "/cdn/";
/// How many filtered result sets [`Dataset`] keeps.
const CACHE_ENTRIES: usize = 16;
/// Salts of the per-organisation draws (record draws are salted by [`Field`]).
const ORG_ID_HIGH_SALT: u64 = 0x0f00_0000_0000_0001;
const ORG_ID_LOW_SALT: u64 = 0x0f00_0000_0000_0002;
const ORG_NAME_SALT: u64 = 0x0f00_0000_0000_0003;
/// Roughly one record in this many gets a hostile name (besides the fixed ones).
const HOSTILE_ONE_IN: u64 = 500;
/// Rows a first screen shows, about: the always-present clipboard write sits this far below
/// the newest file.
const FIRST_SCREEN: usize = 30;

/// Sort keys of the listing endpoint (`sort_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    CreatedAt,
    UpdatedAt,
    FileName,
    Size,
    ContentType,
}

impl SortKey {
    /// All keys, in the order the API documents them.
    pub const ALL: [SortKey; 5] = [
        SortKey::CreatedAt,
        SortKey::UpdatedAt,
        SortKey::FileName,
        SortKey::Size,
        SortKey::ContentType,
    ];

    /// The wire name (`created_at`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::CreatedAt => "created_at",
            SortKey::UpdatedAt => "updated_at",
            SortKey::FileName => "file_name",
            SortKey::Size => "size",
            SortKey::ContentType => "content_type",
        }
    }

    /// Parses a wire name; exact match only, as the API does.
    pub fn parse(name: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|key| key.as_str() == name)
    }

    /// Slot in [`Dataset::sorted`]; `None` for the natural order.
    fn slot(self) -> Option<usize> {
        match self {
            SortKey::CreatedAt => None,
            SortKey::UpdatedAt => Some(0),
            SortKey::FileName => Some(1),
            SortKey::Size => Some(2),
            SortKey::ContentType => Some(3),
        }
    }
}

/// A listing query: filters plus order. `Default` is the API's default
/// (no filter, `created_at` descending).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DatasetQuery {
    /// Case-insensitive substring over `id`, `key` and `file_name`.
    pub search: Option<String>,
    /// Exact MIME type.
    pub content_type: Option<String>,
    pub size_gte: Option<u64>,
    pub size_lte: Option<u64>,
    pub sort_by: SortKey,
    pub descending: bool,
}

impl Default for DatasetQuery {
    fn default() -> Self {
        DatasetQuery {
            search: None,
            content_type: None,
            size_gte: None,
            size_lte: None,
            sort_by: SortKey::CreatedAt,
            descending: true,
        }
    }
}

impl DatasetQuery {
    /// Whether any filter is set. An empty search matches everything, so it is
    /// not a filter.
    pub fn is_filtered(&self) -> bool {
        self.search.as_deref().is_some_and(|s| !s.is_empty())
            || self.content_type.is_some()
            || self.size_gte.is_some()
            || self.size_lte.is_some()
    }

    /// The key filtered results are cached under: filtered sets are stored in
    /// ascending order and read backwards for descending, so both directions
    /// share one entry.
    fn scan_key(&self) -> DatasetQuery {
        DatasetQuery {
            search: self.search.clone().filter(|s| !s.is_empty()),
            descending: false,
            ..self.clone()
        }
    }
}

/// One synthetic record. Timestamps are unix seconds (UTC).
#[derive(Debug, Clone, PartialEq)]
pub struct DemoFile {
    pub index: usize,
    pub id: String,
    pub key: String,
    /// The file's CDN URL relative to the serving demo server's origin:
    /// `/cdn/<code>/<key percent-encoded>`, which FileJar answers without
    /// auth (its `url` field prefixes the origin). `code` is 8 hex digits
    /// that encode the index (keys repeat, so a key alone could not name its
    /// file), like the content-hash directory of a real CDN path.
    pub url: String,
    pub file_name: String,
    pub content_type: &'static str,
    pub size: u64,
    pub created_at: i64,
    pub updated_at: i64,
    pub acknowledged_at: Option<i64>,
}

/// The record indices a query selects, in query order, without necessarily
/// materialising them: the unfiltered natural order is just `0..len` read
/// forwards or backwards, everything else is a shared ascending index array read
/// forwards or backwards. Cloning is cheap.
#[derive(Debug, Clone)]
pub struct Order {
    /// `None`: all records in index order.
    indices: Option<Arc<Vec<u32>>>,
    len: usize,
    descending: bool,
}

impl Order {
    /// Every record, in index order (or reversed).
    pub fn natural(len: usize, descending: bool) -> Order {
        Order {
            indices: None,
            len,
            descending,
        }
    }

    /// The records of an ascending index array, read forwards or backwards.
    pub fn of(indices: Arc<Vec<u32>>, descending: bool) -> Order {
        Order {
            len: indices.len(),
            indices: Some(indices),
            descending,
        }
    }

    /// Number of records selected.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The record index at `position` in query order.
    pub fn get(&self, position: usize) -> Option<usize> {
        if position >= self.len {
            return None;
        }
        let ascending = if self.descending {
            self.len - 1 - position
        } else {
            position
        };
        Some(match &self.indices {
            None => ascending,
            Some(indices) => indices[ascending] as usize,
        })
    }

    /// Record indices at positions `offset..offset + limit` (clamped), in order.
    pub fn page(&self, offset: usize, limit: usize) -> impl Iterator<Item = usize> + '_ {
        let end = offset.saturating_add(limit).min(self.len);
        (offset.min(end)..end).filter_map(|position| self.get(position))
    }

    /// All selected record indices, in order.
    pub fn to_vec(&self) -> Vec<u32> {
        // Indices fit in u32: `Dataset::new` refuses anything larger.
        self.page(0, self.len).map(|i| i as u32).collect()
    }
}

/// A deterministic, lazily generated listing of `len` files for one organisation.
pub struct Dataset {
    seed: u64,
    /// `seed` pre-hashed, so per-field draws cost two mixes.
    seed_mix: u64,
    /// First eight hex digits of the org id: the storage prefix of every key.
    org_prefix: String,
    len: usize,
    /// `created_at(i) = start + i * step + jitter(i)` with `jitter < step`.
    start: i64,
    step: i64,
    /// Ascending orders for the non-natural sort keys, built on first use.
    sorted: [OnceLock<Arc<Vec<u32>>>; 4],
    /// Most recently used first; keys come from [`DatasetQuery::scan_key`]
    /// (filtered scans) or are full queries (materialised by [`Dataset::query`]).
    cache: Mutex<Vec<(DatasetQuery, Arc<Vec<u32>>)>>,
}

impl fmt::Debug for Dataset {
    // Hand-written: the derived one would print cached million-entry arrays.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dataset")
            .field("seed", &self.seed)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl Dataset {
    /// A dataset of `len` files. O(1): nothing is generated until asked for.
    ///
    /// # Panics
    /// If `len` does not fit in a `u32` (index arrays are `u32` to halve their size).
    pub fn new(seed: u64, len: usize) -> Self {
        assert!(
            u32::try_from(len).is_ok(),
            "demo dataset is limited to {} files",
            u32::MAX
        );
        // At least one second per file keeps `created_at` strictly increasing;
        // past six years' worth of seconds the dates simply start earlier.
        let step = (SPAN / len.max(1) as i64).max(1);
        let seed_mix = mix(seed);
        let mut org_prefix = org_uuid(seed_mix);
        org_prefix.truncate(8);
        Dataset {
            seed,
            seed_mix,
            org_prefix,
            len,
            start: END - step * len as i64,
            step,
            sorted: Default::default(),
            cache: Mutex::new(Vec::new()),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The organisation's UUID, derived from the seed.
    pub fn org_id(&self) -> String {
        org_uuid(self.seed_mix)
    }

    /// The organisation's display name ("Northwind Labs"-like), derived from the seed.
    pub fn org_name(&self) -> String {
        let h = mix(self.seed_mix ^ ORG_NAME_SALT);
        format!("{} {}", pick(ORG_FIRST, h), pick(ORG_SECOND, h >> 32))
    }

    /// Record `index`, computed from scratch.
    ///
    /// # Panics
    /// If `index >= len()`.
    pub fn file(&self, index: usize) -> DemoFile {
        assert!(
            index < self.len,
            "file index {index} out of range (len {})",
            self.len
        );
        let shape = self.shape(index);
        let mut key = String::with_capacity(64);
        let name_start = self.write_key(index, &shape, &mut key);
        let file_name = key[name_start..].to_owned();
        let created_at = self.created_at(index);
        DemoFile {
            index,
            id: self.id(index),
            url: cdn_url(
                super::common::IdCipher::new(self).encode(index),
                &key,
                name_start,
            ),
            key,
            file_name,
            content_type: MIMES[shape.mime].mime,
            size: self.size(index, &shape),
            created_at,
            updated_at: self.updated_at(index, created_at),
            acknowledged_at: self.acknowledged_at(index, created_at),
        }
    }

    /// Indices of the records matching the filter, in the given order.
    ///
    /// Always a materialised array: convenient, but for the natural order or a
    /// descending one it copies. The server uses [`Dataset::order`], which does
    /// not; results built here are cached, so repeated calls are cheap either way.
    pub fn query(&self, q: &DatasetQuery) -> Arc<Vec<u32>> {
        if let Some(hit) = self.cache_get(q) {
            return hit;
        }
        let order = self.order(q);
        if let (Some(indices), false) = (&order.indices, order.descending) {
            return Arc::clone(indices);
        }
        let materialised = Arc::new(order.to_vec());
        self.cache_put(q.clone(), Arc::clone(&materialised));
        materialised
    }

    /// The records `q` selects, in its order. Unfiltered `created_at` order is
    /// free; other sort keys cost one sort on first use (then cached for the
    /// dataset's life); filters cost one scan per distinct filter (the last 16
    /// are cached). Both directions share the same work.
    pub fn order(&self, q: &DatasetQuery) -> Order {
        let base = self.sorted_ascending(q.sort_by);
        if !q.is_filtered() {
            return Order {
                indices: base,
                len: self.len,
                descending: q.descending,
            };
        }
        let key = q.scan_key();
        let matched = self.cache_get(&key).unwrap_or_else(|| {
            let matched = Arc::new(self.scan(&key, base.as_ref().map(|b| b.as_slice())));
            self.cache_put(key, Arc::clone(&matched));
            matched
        });
        Order {
            len: matched.len(),
            indices: Some(matched),
            descending: q.descending,
        }
    }

    /// [`Dataset::order`] if it is available without sorting or scanning, so a
    /// caller on an async runtime can move the expensive case to a blocking thread.
    pub fn cached_order(&self, q: &DatasetQuery) -> Option<Order> {
        if q.is_filtered() {
            let matched = self.cache_get(&q.scan_key())?;
            return Some(Order {
                len: matched.len(),
                indices: Some(matched),
                descending: q.descending,
            });
        }
        self.is_sorted_ready(q.sort_by).then(|| self.order(q))
    }

    // ---- single fields, for the other dialects' scans, sorts and records -------

    /// `file(index).content_type`, without building the record.
    pub fn content_type_of(&self, index: usize) -> &'static str {
        MIMES[self.shape(index).mime].mime
    }

    /// `file(index).size`, without building the record.
    pub fn size_of(&self, index: usize) -> u64 {
        self.size(index, &self.shape(index))
    }

    /// `file(index).created_at`, without building the record.
    pub fn created_at_of(&self, index: usize) -> i64 {
        self.created_at(index)
    }

    /// `file(index).updated_at`, without building the record.
    pub fn updated_at_of(&self, index: usize) -> i64 {
        self.updated_at(index, self.created_at(index))
    }

    /// Appends `file(index).file_name` to `out` (a scan reuses one buffer).
    pub fn write_file_name(&self, index: usize, out: &mut String) {
        self.write_name(index, &self.shape(index), out);
    }

    /// A number that orders exactly like `file(index).id` as a string.
    pub fn id_order_key(&self, index: usize) -> u128 {
        uuid_bits(
            self.draw(index, Field::IdHigh),
            self.draw(index, Field::IdLow),
        )
    }

    /// A 64-bit hash of `(seed, index, salt)` for attributes a dialect derives
    /// from a record. Independent of every field draw of [`Dataset::file`]
    /// (their inputs leave bits 32..56 zero, these never do) and across salts.
    ///
    /// # Panics
    /// If `salt` is 0 or needs more than 24 bits.
    pub fn derive(&self, index: usize, salt: u32) -> u64 {
        assert!(
            (1..1 << 24).contains(&salt),
            "derive salts are 1..2^24, got {salt}"
        );
        // Indices fit in u32 (see `new`), so the salt's bits never overlap them.
        mix(self.seed_mix ^ mix(index as u64 | u64::from(salt) << 32))
    }

    /// A 64-bit hash of `(seed, salt)` for dataset-wide attributes (user ids,
    /// folder trees): [`Dataset::derive`] at an index no record can have.
    pub fn derive_global(&self, salt: u32) -> u64 {
        self.derive(u32::MAX as usize, salt)
    }

    /// The records of `base` (an order over every record; index order when
    /// `None`) for which `keep` holds, in `base` order. One thread per core.
    pub fn filter(&self, base: Option<&[u32]>, keep: impl Fn(usize) -> bool + Sync) -> Vec<u32> {
        in_parallel(self.len, |positions| {
            positions
                .map(|position| base.map_or(position as u32, |base| base[position]))
                .filter(|&i| keep(i as usize))
                .collect::<Vec<u32>>()
        })
        .concat()
    }

    /// The ascending order of `key` (ties by index), built on first use;
    /// `None` for `created_at`, whose order is the index order.
    pub fn sorted(&self, key: SortKey) -> Option<Arc<Vec<u32>>> {
        self.sorted_ascending(key)
    }

    /// Whether [`Dataset::sorted`] would answer without sorting.
    pub fn is_sorted_ready(&self, key: SortKey) -> bool {
        key.slot()
            .is_none_or(|slot| self.sorted[slot].get().is_some())
    }

    // ---- orders and filters -------------------------------------------------

    /// Ascending order for `key`, ties by index; `None` for the natural order.
    fn sorted_ascending(&self, key: SortKey) -> Option<Arc<Vec<u32>>> {
        let slot = key.slot()?;
        Some(Arc::clone(
            self.sorted[slot].get_or_init(|| Arc::new(self.sort_by(key))),
        ))
    }

    fn sort_by(&self, key: SortKey) -> Vec<u32> {
        let n = self.len as u32;
        match key {
            SortKey::CreatedAt => (0..n).collect(),
            SortKey::UpdatedAt => {
                // Mostly equal to created_at, so nearly sorted already: cheap for pdqsort.
                let mut keyed: Vec<(i64, u32)> = (0..n)
                    .map(|i| {
                        let created = self.created_at(i as usize);
                        (self.updated_at(i as usize, created), i)
                    })
                    .collect();
                keyed.sort_unstable();
                keyed.into_iter().map(|(_, i)| i).collect()
            }
            SortKey::Size => {
                let mut keyed: Vec<(u64, u32)> = (0..n)
                    .map(|i| (self.size(i as usize, &self.shape(i as usize)), i))
                    .collect();
                keyed.sort_unstable();
                keyed.into_iter().map(|(_, i)| i).collect()
            }
            SortKey::ContentType => {
                // MIMES is in content_type order, so a stable bucket pass by
                // table position is the sort, in O(n).
                let mut buckets = vec![Vec::new(); MIMES.len()];
                for i in 0..n {
                    buckets[self.shape(i as usize).mime].push(i);
                }
                buckets.concat()
            }
            SortKey::FileName => self.sort_by_name(),
        }
    }

    /// Indices ordered by lowercased `file_name`, ties by index.
    ///
    /// Each core generates and sorts the names of one contiguous run of records
    /// (see [`NameRun`]), then the runs are merged. The names are dropped once
    /// sorted: only the index array is kept.
    fn sort_by_name(&self) -> Vec<u32> {
        let runs = in_parallel(self.len, |range| NameRun::sorted(self, range));
        // k-way merge; k is the core count, so a linear scan of the heads is fine.
        let mut heads = vec![0; runs.len()];
        let mut merged = Vec::with_capacity(self.len);
        loop {
            let next = (0..runs.len())
                .filter(|&r| heads[r] < runs[r].keys.len())
                .min_by(|&a, &b| NameRun::compare(runs[a].at(heads[a]), runs[b].at(heads[b])));
            let Some(run) = next else { break };
            merged.push(runs[run].keys[heads[run]].index);
            heads[run] += 1;
        }
        merged
    }

    /// The indices matching `q`'s filters, in `base` order (natural if `None`).
    /// Chunks of the order are filtered on one thread per core.
    fn scan(&self, q: &DatasetQuery, base: Option<&[u32]>) -> Vec<u32> {
        let mime = match &q.content_type {
            None => None,
            Some(wanted) => match MIMES.iter().position(|m| m.mime == wanted) {
                Some(position) => Some(position),
                // Nothing in the dataset has that type.
                None => return Vec::new(),
            },
        };
        let needle = q.search.as_deref().map(str::to_lowercase);
        let matches = |i: usize| {
            let shape = self.shape(i);
            if mime.is_some_and(|m| m != shape.mime) {
                return false;
            }
            if q.size_gte.is_some() || q.size_lte.is_some() {
                let size = self.size(i, &shape);
                if q.size_gte.is_some_and(|min| size < min)
                    || q.size_lte.is_some_and(|max| size > max)
                {
                    return false;
                }
            }
            let Some(needle) = &needle else { return true };
            SCRATCH.with_borrow_mut(|[key, lower, id]| {
                // file_name is the last segment of key, so searching key covers it.
                key.clear();
                self.write_key(i, &shape, key);
                lowercase_into(key, lower);
                if lower.contains(needle.as_str()) {
                    return true;
                }
                id.clear();
                self.write_id(i, id);
                id.contains(needle.as_str())
            })
        };
        self.filter(base, matches)
    }

    fn cache_get(&self, key: &DatasetQuery) -> Option<Arc<Vec<u32>>> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let position = cache.iter().position(|(k, _)| k == key)?;
        let entry = cache.remove(position);
        let hit = Arc::clone(&entry.1);
        cache.insert(0, entry);
        Some(hit)
    }

    fn cache_put(&self, key: DatasetQuery, value: Arc<Vec<u32>>) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        // Two requests may have raced to build the same entry: keep one.
        cache.retain(|(k, _)| *k != key);
        cache.insert(0, (key, value));
        cache.truncate(CACHE_ENTRIES);
    }

    // ---- record fields --------------------------------------------------------

    /// A 64-bit draw for one field of one record; fields are independent so any
    /// of them can be computed alone.
    fn draw(&self, index: usize, field: Field) -> u64 {
        mix(self.seed_mix ^ mix(index as u64 | (field as u64) << 56))
    }

    fn shape(&self, index: usize) -> Shape {
        let fixed = match index {
            0 => return self.plain_shape(index),
            1 => Some(Hostile::RightToLeft),
            7 => Some(Hostile::AnsiColour),
            // The clipboard write is always there, a page down from the newest file: the
            // first screen a newcomer sees is plain names, the hostile ones are a PgDn away.
            i if i == self.len - 1 - (self.len > FIRST_SCREEN * 2) as usize * FIRST_SCREEN => {
                Some(Hostile::Osc52)
            }
            _ => None,
        };
        let hostile = fixed.or_else(|| {
            self.draw(index, Field::Hostile)
                .is_multiple_of(HOSTILE_ONE_IN)
                .then(|| {
                    let pick = self.draw(index, Field::HostileKind) % Hostile::ALL.len() as u64;
                    Hostile::ALL[pick as usize]
                })
        });
        match hostile {
            Some(hostile) => Shape {
                mime: hostile.mime(),
                name: NameKind::Hostile(hostile),
            },
            None => self.plain_shape(index),
        }
    }

    fn plain_shape(&self, index: usize) -> Shape {
        let mime = weighted_mime(self.draw(index, Field::Mime));
        let name = if self.draw(index, Field::Unicode) % 100 < 3 {
            NameKind::Unicode
        } else {
            NameKind::Plain
        };
        Shape { mime, name }
    }

    fn created_at(&self, index: usize) -> i64 {
        let jitter = (self.draw(index, Field::Jitter) % self.step as u64) as i64;
        self.start + index as i64 * self.step + jitter
    }

    fn updated_at(&self, index: usize, created_at: i64) -> i64 {
        let h = self.draw(index, Field::Updated);
        let delta = match h % 100 {
            // Most files are never touched again.
            0..75 => return created_at,
            // Touched right after upload (processing, metadata).
            75..85 => 1 + (h >> 8) % 120,
            // Edited later: up to about three months.
            _ => 60 + (h >> 8) % (90 * 86_400),
        };
        // Nothing is updated in the future of the dataset's end, but never
        // before creation either.
        (created_at + delta as i64).min((END - 1).max(created_at))
    }

    fn acknowledged_at(&self, index: usize, created_at: i64) -> Option<i64> {
        let h = self.draw(index, Field::Acknowledged);
        (h % 100 >= 20).then(|| created_at + 1 + ((h >> 8) % 30) as i64)
    }

    fn size(&self, index: usize, shape: &Shape) -> u64 {
        let h = self.draw(index, Field::Size);
        // Empty uploads happen.
        if h.is_multiple_of(400) {
            return 0;
        }
        // Log-distributed with integer maths only (no float `exp`, whose last
        // bits may differ between platforms): a bit length, then a uniform
        // value of that length. The bit length is the mean of two uniform
        // draws, so sizes bunch around the type's typical size and the
        // extremes of the range (multi-GB videos) stay rare.
        let (lo, hi) = MIMES[shape.mime].size_bits;
        let span = u64::from(hi - lo + 1);
        let bits = lo + (((h >> 9) % span + (h >> 36) % span) / 2) as u32;
        let low_bits = self.draw(index, Field::SizeMantissa) & ((1u64 << bits) - 1);
        (1u64 << bits) | low_bits
    }

    fn id(&self, index: usize) -> String {
        let mut id = String::with_capacity(36);
        self.write_id(index, &mut id);
        id
    }

    fn write_id(&self, index: usize, out: &mut String) {
        write_uuid(
            out,
            self.draw(index, Field::IdHigh),
            self.draw(index, Field::IdLow),
        );
    }

    /// `<org8>/<folder>/<file name>`; returns where the file name starts in `out`.
    fn write_key(&self, index: usize, shape: &Shape, out: &mut String) -> usize {
        out.push_str(&self.org_prefix);
        out.push('/');
        let h = self.draw(index, Field::Folder);
        let folder = match shape.name {
            NameKind::Hostile(_) => pick(HOSTILE_FOLDERS, h),
            _ => pick(class_folders(MIMES[shape.mime].class), h),
        };
        out.push_str(folder);
        out.push('/');
        let name_start = out.len();
        self.write_name(index, shape, out);
        name_start
    }

    fn write_name(&self, index: usize, shape: &Shape, out: &mut String) {
        let mime = &MIMES[shape.mime];
        let h = self.draw(index, Field::Name);
        let ext = pick(mime.exts, self.draw(index, Field::Extension));
        match shape.name {
            NameKind::Hostile(hostile) => hostile.write(out),
            NameKind::Unicode => {
                let base = pick(UNICODE_NAMES, h);
                match (h >> 16) % 3 {
                    0 => write!(out, "{base}.{ext}"),
                    1 => write!(out, "{base} {}.{ext}", (h >> 24) % 100),
                    _ => write!(out, "{base}-{}.{ext}", pick(WORDS, h >> 32)),
                }
                .expect("writing to a String cannot fail");
            }
            NameKind::Plain => {
                let created = self.created_at(index);
                write_plain_name(
                    out,
                    mime.class,
                    h,
                    self.draw(index, Field::Name2),
                    created,
                    ext,
                );
            }
        }
    }
}

/// Part of a name sort: the lowercased names of a range of records, sorted.
///
/// The names live in one arena (no allocation or free per name) and each key
/// carries a 16-byte big-endian prefix of its name, which orders like the name's
/// first bytes, so most comparisons never touch the arena.
struct NameRun {
    arena: String,
    keys: Vec<NameKey>,
}

struct NameKey {
    prefix: u128,
    start: usize,
    len: u32,
    index: u32,
}

impl NameKey {
    fn name<'a>(&self, arena: &'a str) -> &'a [u8] {
        &arena.as_bytes()[self.start..self.start + self.len as usize]
    }
}

impl NameRun {
    fn sorted(dataset: &Dataset, range: Range<usize>) -> NameRun {
        let mut arena = String::with_capacity(range.len() * 24);
        let mut keys = Vec::with_capacity(range.len());
        let (mut name, mut lower) = (String::with_capacity(64), String::with_capacity(64));
        for index in range {
            name.clear();
            dataset.write_name(index, &dataset.shape(index), &mut name);
            lowercase_into(&name, &mut lower);
            let mut prefix = [0u8; 16];
            let take = lower.len().min(prefix.len());
            prefix[..take].copy_from_slice(&lower.as_bytes()[..take]);
            keys.push(NameKey {
                prefix: u128::from_be_bytes(prefix),
                start: arena.len(),
                len: lower.len() as u32,
                index: index as u32,
            });
            arena.push_str(&lower);
        }
        keys.sort_unstable_by(|a, b| Self::compare((&arena, a), (&arena, b)));
        NameRun { arena, keys }
    }

    /// Lowercased name, then index. Runs hold disjoint indices, so this is total
    /// across runs too (each key is compared with its own run's arena).
    fn compare((arena_a, a): (&str, &NameKey), (arena_b, b): (&str, &NameKey)) -> Ordering {
        a.prefix
            .cmp(&b.prefix)
            .then_with(|| a.name(arena_a).cmp(b.name(arena_b)))
            .then(a.index.cmp(&b.index))
    }

    /// The key at `position`, with its arena, for [`NameRun::compare`].
    fn at(&self, position: usize) -> (&str, &NameKey) {
        (&self.arena, &self.keys[position])
    }
}

/// Which kind of name a record has and its MIME table position.
struct Shape {
    mime: usize,
    name: NameKind,
}

#[derive(Clone, Copy)]
enum NameKind {
    Plain,
    Unicode,
    Hostile(Hostile),
}

/// Names that break naive terminal output on purpose: real services accept them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hostile {
    AnsiColour,
    Osc52,
    Bell,
    RightToLeft,
    C1Csi,
    Whitespace,
    Long,
    Nul,
    ZeroWidth,
    Combining,
    PathTraversal,
}

impl Hostile {
    const ALL: [Hostile; 11] = [
        Hostile::AnsiColour,
        Hostile::Osc52,
        Hostile::Bell,
        Hostile::RightToLeft,
        Hostile::C1Csi,
        Hostile::Whitespace,
        Hostile::Long,
        Hostile::Nul,
        Hostile::ZeroWidth,
        Hostile::Combining,
        Hostile::PathTraversal,
    ];

    fn write(self, out: &mut String) {
        let name = match self {
            Hostile::AnsiColour => "\u{1b}[31mred\u{1b}[0m.txt",
            Hostile::Osc52 => "\u{1b}]52;c;ZXZpbA==\u{7}clip.txt",
            Hostile::Bell => "bell\u{7}.txt",
            Hostile::RightToLeft => "invoice\u{202e}fdp.exe",
            Hostile::C1Csi => "c1\u{9b}31m.txt",
            Hostile::Whitespace => "line\none\r\ttab.txt",
            Hostile::Nul => "nul\u{0}byte.bin",
            Hostile::ZeroWidth => "zero\u{200d}width\u{200b}joiner\u{feff}.txt",
            Hostile::Combining => {
                "Z\u{336}\u{301}\u{302}\u{303}a\u{334}\u{308}\u{30a}lgo\u{327}\u{35c}.txt"
            }
            Hostile::PathTraversal => "../../../etc/passwd",
            Hostile::Long => {
                // Exactly 300 characters, all ASCII.
                const SEGMENT: &str = "an-unreasonably-long-file-name-";
                let target = out.len() + 296;
                while out.len() < target {
                    let room = target - out.len();
                    out.push_str(&SEGMENT[..room.min(SEGMENT.len())]);
                }
                ".txt"
            }
        };
        out.push_str(name);
    }

    fn mime(self) -> usize {
        let mime = match self {
            Hostile::RightToLeft | Hostile::Nul => "application/octet-stream",
            _ => "text/plain",
        };
        MIMES
            .iter()
            .position(|m| m.mime == mime)
            .expect("hostile MIME types are in the table")
    }
}

/// Per-field salts for [`Dataset::draw`]. Append only: renumbering changes the data.
#[derive(Clone, Copy)]
#[repr(u8)]
enum Field {
    Hostile = 1,
    HostileKind = 2,
    Unicode = 3,
    Mime = 4,
    Extension = 5,
    Size = 6,
    SizeMantissa = 7,
    Name = 8,
    Name2 = 9,
    Folder = 10,
    Jitter = 11,
    Updated = 12,
    Acknowledged = 13,
    IdHigh = 14,
    IdLow = 15,
}

/// Runs `work` over contiguous chunks of `0..len`, one per core (chunks of at
/// least `MIN_CHUNK`), and returns the results in chunk order. For the one-off
/// whole-dataset passes (name sort, filter scans), which parallelise perfectly.
fn in_parallel<T: Send>(len: usize, work: impl Fn(Range<usize>) -> T + Sync) -> Vec<T> {
    const MIN_CHUNK: usize = 50_000;
    let threads = std::thread::available_parallelism()
        .map_or(1, NonZero::get)
        .min(len.div_ceil(MIN_CHUNK))
        .max(1);
    let chunk = len.div_ceil(threads).max(1);
    if threads == 1 {
        return vec![work(0..len)];
    }
    let work = &work;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..len)
            .step_by(chunk)
            .map(|start| scope.spawn(move || work(start..(start + chunk).min(len))))
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a dataset worker thread panicked"))
            .collect()
    })
}

thread_local! {
    /// Reused text buffers of a search scan, one set per scanning thread.
    static SCRATCH: std::cell::RefCell<[String; 3]> = const {
        std::cell::RefCell::new([String::new(), String::new(), String::new()])
    };
}

/// splitmix64's finaliser (with its increment): a bijective, well-mixed hash.
pub(super) const fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn pick<T: Copy>(items: &[T], h: u64) -> T {
    items[(h % items.len() as u64) as usize]
}

/// The organisation's UUID; salted apart from every record field.
fn org_uuid(seed_mix: u64) -> String {
    let mut out = String::with_capacity(36);
    write_uuid(
        &mut out,
        mix(seed_mix ^ ORG_ID_HIGH_SALT),
        mix(seed_mix ^ ORG_ID_LOW_SALT),
    );
    out
}

/// The 128 bits of the version-4 UUID drawn as `high`, `low`.
fn uuid_bits(high: u64, low: u64) -> u128 {
    let version_4 = (high & !0xf000) | 0x4000;
    let variant_10 = (low >> 2) | (0b10 << 62);
    u128::from(version_4) << 64 | u128::from(variant_10)
}

fn write_uuid(out: &mut String, high: u64, low: u64) {
    // By hand rather than with `{:x}`: ids are written once per record on every
    // page and once per record by a search scan, and this is several times faster.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = uuid_bits(high, low).to_be_bytes();
    let mut text = [b'-'; 36];
    let mut at = 0;
    for (position, byte) in bytes.into_iter().enumerate() {
        if matches!(position, 4 | 6 | 8 | 10) {
            at += 1;
        }
        text[at] = HEX[usize::from(byte >> 4)];
        text[at + 1] = HEX[usize::from(byte & 0xf)];
        at += 2;
    }
    out.push_str(std::str::from_utf8(&text).expect("hex digits and dashes are ASCII"));
}

/// `src.to_lowercase()` into a reused buffer, allocation-free for ASCII (almost
/// every name).
pub(super) fn lowercase_into(src: &str, dst: &mut String) {
    dst.clear();
    if src.is_ascii() {
        dst.push_str(src);
        dst.make_ascii_lowercase();
    } else {
        // Not char by char: `str::to_lowercase` handles context (final sigma).
        dst.push_str(&src.to_lowercase());
    }
}

/// `CDN_PREFIX`, the index code in hex, then the key percent-encoded (RFC 3986
/// unreserved characters kept, and '/' between the org, folder and name), as a
/// CDN would serve it: hostile bytes stay in `key` and `file_name` only. A '/'
/// inside the name (from `name_start` on) is encoded too, so a name such as
/// `../../etc/passwd` stays one path segment that no client normalises away.
fn cdn_url(code: u32, key: &str, name_start: usize) -> String {
    let mut url = String::with_capacity(CDN_PREFIX.len() + 9 + key.len() + 8);
    url.push_str(CDN_PREFIX);
    write!(url, "{code:08x}/").expect("writing to a String cannot fail");
    for (at, &byte) in key.as_bytes().iter().enumerate() {
        if byte.is_ascii_alphanumeric()
            || b"-._~".contains(&byte)
            || (byte == b'/' && at < name_start)
        {
            url.push(byte as char);
        } else {
            write!(url, "%{byte:02X}").expect("writing to a String cannot fail");
        }
    }
    url
}

/// Writes an ordinary name. Everything goes straight into `out` (no
/// intermediate strings, no chrono format strings): a name sort or search
/// generates a million of these.
fn write_plain_name(out: &mut String, class: Class, h: u64, h2: u64, created: i64, ext: &str) {
    // Only date-bearing patterns pay for the calendar conversion.
    let at = || Stamp::new(created);
    let (w1, w2) = (pick(WORDS, h >> 8), pick(WORDS, h >> 24));
    let n = (h2 >> 8) % 10_000;
    // Half the time class-specific patterns, otherwise generic office names.
    let special = (h >> 40).is_multiple_of(2);
    let written = match class {
        Class::Image if special => match h2 % 4 {
            0 => write!(out, "IMG_{n:04}"),
            1 => write!(out, "Screenshot {} at {}", at().date("-"), at().time(".")),
            2 => write!(out, "DSC{:05}", (h2 >> 8) % 100_000),
            _ => write!(out, "{w1}-{w2}"),
        },
        Class::Video if special => match h2 % 3 {
            0 => write!(out, "VID_{}_{}", at().date(""), at().time("")),
            1 => write!(out, "{} recording {}", Capital(w1), at().date("-")),
            _ => write!(out, "{w1}-walkthrough-{}", n % 50),
        },
        Class::Audio if special => match h2 % 3 {
            0 => write!(out, "voice-memo-{n:04}"),
            1 => write!(out, "{} episode {}", Capital(w1), n % 300),
            _ => write!(out, "{w1}_{w2}_mix"),
        },
        Class::Archive if special => match h2 % 3 {
            0 => write!(out, "backup-{}", at().date("-")),
            1 => write!(
                out,
                "{w1}-release-{}.{}.{}",
                n % 5,
                (n / 5) % 20,
                (n / 100) % 10
            ),
            _ => write!(out, "{w1}-{w2}-bundle"),
        },
        _ => match h2 % 8 {
            0 => write!(out, "{w1}-{w2}"),
            1 => write!(out, "{} {}", Capital(w1), Capital(w2)),
            2 => write!(out, "{}-q{}-{w1}", at().year, 1 + (n % 4)),
            3 => write!(out, "{w1}_{}", at().date("-")),
            4 => write!(out, "{} ({})", Capital(w1), 1 + n % 9),
            5 => write!(out, "{w1}-{w2}-v{}", 1 + n % 12),
            6 => write!(out, "{w1}_final_FINAL"),
            _ => write!(out, "{}-{w1}-{n:04}", Upper(w2)),
        },
    };
    written.expect("writing to a String cannot fail");
    out.push('.');
    out.push_str(ext);
}

/// The calendar fields of a unix time, for names like "Screenshot 2024-03-02 at 09.14.58".
struct Stamp {
    /// Always positive: datasets start after 1834 (see [`Dataset::new`]).
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl Stamp {
    fn new(unix_seconds: i64) -> Stamp {
        // Days to civil date: Howard Hinnant's `civil_from_days`. Hand-written
        // because chrono's conversion dominated name generation (a name sort
        // generates a million names).
        let (days, second_of_day) = (
            unix_seconds.div_euclid(86_400),
            unix_seconds.rem_euclid(86_400) as u32,
        );
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
        let month = if shifted_month < 10 {
            shifted_month + 3
        } else {
            shifted_month - 9
        } as u32;
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Stamp {
            year: year as u32,
            month,
            day,
            hour: second_of_day / 3600,
            minute: second_of_day / 60 % 60,
            second: second_of_day % 60,
        }
    }

    /// `YYYY-MM-DD`, with the given separator instead of '-'.
    fn date(&self, separator: &'static str) -> Fields {
        Fields([self.year, self.month, self.day], 4, separator)
    }

    /// `HH.MM.SS`, with the given separator instead of '.'.
    fn time(&self, separator: &'static str) -> Fields {
        Fields([self.hour, self.minute, self.second], 2, separator)
    }
}

/// Three zero-padded numbers (the first `first_width` wide, the others 2) joined
/// by a separator.
struct Fields([u32; 3], usize, &'static str);

impl fmt::Display for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Fields([a, b, c], width, separator) = *self;
        write!(f, "{a:0width$}")?;
        for part in [b, c] {
            write!(f, "{separator}{part:02}")?;
        }
        Ok(())
    }
}

/// An ASCII word with its first letter upper-cased.
struct Capital(&'static str);

impl fmt::Display for Capital {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.0.chars();
        if let Some(first) = chars.next() {
            f.write_char(first.to_ascii_uppercase())?;
        }
        f.write_str(chars.as_str())
    }
}

/// An ASCII word upper-cased.
struct Upper(&'static str);

impl fmt::Display for Upper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0
            .chars()
            .try_for_each(|c| f.write_char(c.to_ascii_uppercase()))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Document,
    Image,
    Video,
    Audio,
    Archive,
    Data,
    Text,
    Binary,
}

struct Mime {
    mime: &'static str,
    exts: &'static [&'static str],
    /// Relative frequency.
    weight: u64,
    /// Inclusive range of bit lengths of the size (see [`Dataset::size`]).
    size_bits: (u32, u32),
    class: Class,
}

/// Sorted by `mime`, so table position is the `content_type` sort key.
const MIMES: &[Mime] = &[
    mime(
        "application/gzip",
        &["tar.gz", "tgz", "gz"],
        2,
        (10, 32),
        Class::Archive,
    ),
    mime("application/json", &["json"], 5, (6, 26), Class::Data),
    mime(
        "application/octet-stream",
        &["bin", "dat", "img"],
        3,
        (0, 31),
        Class::Binary,
    ),
    mime("application/pdf", &["pdf"], 14, (12, 27), Class::Document),
    mime(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        &["pptx"],
        3,
        (15, 28),
        Class::Document,
    ),
    mime(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &["xlsx"],
        5,
        (12, 25),
        Class::Data,
    ),
    mime(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &["docx"],
        6,
        (12, 24),
        Class::Document,
    ),
    mime("application/zip", &["zip"], 4, (10, 33), Class::Archive),
    mime("audio/mpeg", &["mp3"], 3, (18, 28), Class::Audio),
    mime("audio/wav", &["wav"], 1, (18, 30), Class::Audio),
    mime("image/gif", &["gif"], 2, (10, 24), Class::Image),
    mime(
        "image/jpeg",
        &["jpg", "jpeg", "JPG"],
        14,
        (14, 24),
        Class::Image,
    ),
    mime("image/png", &["png"], 12, (10, 24), Class::Image),
    mime("image/svg+xml", &["svg"], 2, (8, 18), Class::Image),
    mime("image/webp", &["webp"], 3, (10, 22), Class::Image),
    mime("text/csv", &["csv"], 6, (6, 31), Class::Data),
    mime("text/html", &["html", "htm"], 2, (8, 20), Class::Text),
    mime("text/markdown", &["md"], 3, (4, 16), Class::Text),
    mime("text/plain", &["txt", "log"], 5, (0, 18), Class::Text),
    mime("video/mp4", &["mp4"], 4, (20, 33), Class::Video),
    mime(
        "video/quicktime",
        &["mov", "MOV"],
        2,
        (20, 32),
        Class::Video,
    ),
];

const fn mime(
    mime: &'static str,
    exts: &'static [&'static str],
    weight: u64,
    size_bits: (u32, u32),
    class: Class,
) -> Mime {
    Mime {
        mime,
        exts,
        weight,
        size_bits,
        class,
    }
}

fn weighted_mime(h: u64) -> usize {
    const TOTAL: u64 = {
        let mut total = 0;
        let mut i = 0;
        while i < MIMES.len() {
            total += MIMES[i].weight;
            i += 1;
        }
        total
    };
    let mut roll = h % TOTAL;
    for (position, mime) in MIMES.iter().enumerate() {
        if roll < mime.weight {
            return position;
        }
        roll -= mime.weight;
    }
    unreachable!("roll is below the total weight")
}

const FOLDERS: &[(Class, &[&str])] = &[
    (
        Class::Document,
        &[
            "contracts",
            "invoices",
            "reports/2025",
            "hr/policies",
            "legal",
            "shared/docs",
        ],
    ),
    (
        Class::Image,
        &[
            "photos",
            "screenshots",
            "design/assets",
            "marketing/banners",
            "uploads",
        ],
    ),
    (
        Class::Video,
        &[
            "videos",
            "recordings/meetings",
            "marketing/video",
            "uploads",
        ],
    ),
    (Class::Audio, &["audio", "podcasts", "recordings/calls"]),
    (Class::Archive, &["backups", "releases", "exports/archive"]),
    (
        Class::Data,
        &["exports", "analytics", "finance/2024", "datasets"],
    ),
    (Class::Text, &["notes", "docs", "logs", "site"]),
    (Class::Binary, &["firmware", "raw", "uploads"]),
];

/// Hostile names land where user uploads land.
const HOSTILE_FOLDERS: &[&str] = &["uploads", "inbox", "shared/incoming"];

fn class_folders(class: Class) -> &'static [&'static str] {
    FOLDERS
        .iter()
        .find(|(c, _)| *c == class)
        .map(|(_, folders)| *folders)
        .expect("every class has folders")
}

const WORDS: &[&str] = &[
    "report",
    "budget",
    "contract",
    "invoice",
    "summary",
    "draft",
    "roadmap",
    "meeting",
    "notes",
    "proposal",
    "design",
    "mockup",
    "logo",
    "banner",
    "export",
    "backup",
    "dataset",
    "metrics",
    "release",
    "onboarding",
    "policy",
    "handbook",
    "minutes",
    "forecast",
    "audit",
    "survey",
    "feedback",
    "schedule",
    "agenda",
    "timeline",
    "receipt",
    "statement",
    "payroll",
    "inventory",
    "catalog",
    "brochure",
    "pitch",
    "podcast",
    "interview",
    "demo",
    "tutorial",
    "webinar",
    "sprint",
    "launch",
    "campaign",
    "quarterly",
    "annual",
    "customer",
    "vendor",
    "pricing",
];

/// Legitimate non-ASCII names: accents (precomposed and combining), CJK, Cyrillic,
/// Greek, Hangul, right-to-left scripts and emoji.
const UNICODE_NAMES: &[&str] = &[
    "Résumé Zoë",
    "報告書",
    "データ分析",
    "Übersicht Qualität",
    "Ñandú",
    "cafe\u{301} menu",
    "Отчёт за квартал",
    "προσφορά",
    "📸 vacation",
    "🎉 launch party",
    "مستند",
    "שלום",
    "São Paulo visita",
    "한국어 문서",
    "Ελληνικά ΣΗΜΕΙΩΣΕΙΣ",
    "naïve façade",
    "会议记录",
    "👩‍💻 dev notes",
];

const ORG_FIRST: &[&str] = &[
    "Northwind",
    "Bluepeak",
    "Ironwood",
    "Silverline",
    "Redfern",
    "Clearwater",
    "Stonebridge",
    "Brightfield",
    "Harborview",
    "Quillmark",
];
const ORG_SECOND: &[&str] = &[
    "Labs",
    "Systems",
    "Analytics",
    "Studio",
    "Logistics",
    "Health",
    "Partners",
    "Robotics",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn brute_force(ds: &Dataset, q: &DatasetQuery) -> Vec<u32> {
        let files: Vec<DemoFile> = (0..ds.len()).map(|i| ds.file(i)).collect();
        let needle = q.search.as_deref().map(str::to_lowercase);
        let mut selected: Vec<&DemoFile> = files
            .iter()
            .filter(|f| {
                needle.as_deref().is_none_or(|n| {
                    f.id.to_lowercase().contains(n)
                        || f.key.to_lowercase().contains(n)
                        || f.file_name.to_lowercase().contains(n)
                })
            })
            .filter(|f| {
                q.content_type
                    .as_deref()
                    .is_none_or(|t| f.content_type == t)
            })
            .filter(|f| q.size_gte.is_none_or(|min| f.size >= min))
            .filter(|f| q.size_lte.is_none_or(|max| f.size <= max))
            .collect();
        // An independent comparison per key; index as the tie-breaker, and the
        // whole order reversed for descending (so ties go by index descending).
        selected.sort_by(|a, b| {
            let by_key = match q.sort_by {
                SortKey::CreatedAt => a.created_at.cmp(&b.created_at),
                SortKey::UpdatedAt => a.updated_at.cmp(&b.updated_at),
                SortKey::FileName => a.file_name.to_lowercase().cmp(&b.file_name.to_lowercase()),
                SortKey::Size => a.size.cmp(&b.size),
                SortKey::ContentType => a.content_type.cmp(b.content_type),
            };
            by_key.then(a.index.cmp(&b.index))
        });
        if q.descending {
            selected.reverse();
        }
        selected.iter().map(|f| f.index as u32).collect()
    }

    #[test]
    fn same_seed_same_records_different_seed_different_records() {
        let (a, b, c) = (
            Dataset::new(42, 500),
            Dataset::new(42, 500),
            Dataset::new(43, 500),
        );
        for i in 0..500 {
            assert_eq!(a.file(i), b.file(i));
            assert_ne!(a.file(i).id, c.file(i).id);
        }
        assert_eq!(a.org_id(), b.org_id());
        assert_eq!(a.org_name(), b.org_name());
        assert_ne!(a.org_id(), c.org_id());
    }

    #[test]
    fn records_do_not_depend_on_what_was_computed_before() {
        let ds = Dataset::new(7, 1000);
        let before = ds.file(500);
        let _ = ds.order(&DatasetQuery {
            sort_by: SortKey::FileName,
            ..Default::default()
        });
        assert_eq!(ds.file(500), before);
    }

    #[test]
    fn timestamps_are_ordered_and_within_six_years() {
        for len in [1, 2, 10, 2000, 1_000_000] {
            let ds = Dataset::new(42, len);
            let sample: Vec<usize> = if len <= 2000 {
                (0..len).collect()
            } else {
                (0..len - 50).step_by(997).chain(len - 50..len).collect()
            };
            let mut previous = i64::MIN;
            for i in sample {
                let f = ds.file(i);
                assert!(
                    f.created_at >= previous,
                    "created_at decreases at {i} (len {len})"
                );
                previous = f.created_at;
                assert!(f.updated_at >= f.created_at);
                assert!(f.created_at < END && f.created_at >= END - SPAN);
                assert!(f.acknowledged_at.is_none_or(|a| a > f.created_at));
            }
        }
    }

    #[test]
    fn created_at_is_non_decreasing_across_every_index() {
        let ds = Dataset::new(1, 5000);
        let created: Vec<i64> = (0..5000).map(|i| ds.file(i).created_at).collect();
        assert!(created.windows(2).all(|w| w[0] <= w[1]));
        let updated_equal = (0..5000)
            .filter(|&i| ds.file(i).updated_at == created[i])
            .count();
        assert!(
            updated_equal > 3000,
            "most files are never updated: {updated_equal}"
        );
    }

    #[test]
    fn hostile_names_at_fixed_indices_and_rarely_elsewhere() {
        let ds = Dataset::new(42, 2000);
        let is_hostile = |i: usize| matches!(ds.shape(i).name, NameKind::Hostile(_));
        assert_eq!(ds.file(7).file_name, "\u{1b}[31mred\u{1b}[0m.txt");
        assert_eq!(ds.file(1).file_name, "invoice\u{202e}fdp.exe");
        assert_eq!(ds.file(1969).file_name, "\u{1b}]52;c;ZXZpbA==\u{7}clip.txt");
        assert!(!is_hostile(0));
        assert!(ds.file(0).file_name.chars().all(|c| !c.is_control()));
        assert_eq!(ds.file(7).content_type, "text/plain");
        assert!(ds.file(7).key.ends_with("/\u{1b}[31mred\u{1b}[0m.txt"));

        let big = Dataset::new(42, 200_000);
        let count = (0..200_000)
            .filter(|&i| matches!(big.shape(i).name, NameKind::Hostile(_)))
            .count();
        assert!((200..=700).contains(&count), "about 1 in 500: {count}");
        // Every kind shows up in a large dataset.
        for kind in Hostile::ALL {
            assert!(
                (0..200_000)
                    .any(|i| matches!(big.shape(i).name, NameKind::Hostile(k) if k == kind)),
                "{kind:?} never generated"
            );
        }
        // A single-file dataset's only file is index 0, which stays clean.
        assert!(!matches!(
            Dataset::new(42, 1).shape(0).name,
            NameKind::Hostile(_)
        ));
    }

    #[test]
    fn hostile_names_are_what_they_claim() {
        let mut long = String::new();
        Hostile::Long.write(&mut long);
        assert_eq!(long.chars().count(), 300);
        for kind in Hostile::ALL {
            let mut name = String::new();
            kind.write(&mut name);
            assert!(
                name.chars().any(|c| c.is_control() || !c.is_ascii())
                    || name.len() >= 300
                    || name.contains(".."),
                "{kind:?} is not hostile: {name:?}"
            );
        }
    }

    #[test]
    fn records_look_realistic() {
        let ds = Dataset::new(42, 100_000);
        let files: Vec<DemoFile> = (0..100_000).step_by(7).map(|i| ds.file(i)).collect();
        let org8 = &ds.org_id()[..8];
        let mut types = std::collections::HashSet::new();
        for f in &files {
            types.insert(f.content_type);
            assert!(f.key.starts_with(&format!("{org8}/")));
            assert!(f.key.ends_with(&format!("/{}", f.file_name)), "{:?}", f.key);
            assert!(f.url.starts_with(CDN_PREFIX));
            assert!(f.url.is_ascii() && !f.url.contains(' '));
            assert_eq!(f.id.len(), 36);
            assert_eq!(f.id.as_bytes()[14], b'4');
        }
        assert!(types.len() >= 20, "{types:?}");
        assert!(files.iter().any(|f| f.size == 0));
        assert!(files.iter().any(|f| f.size > 4 << 30));
        assert!(files.iter().any(|f| f.size < 1024 && f.size > 0));
        let unicode = files.iter().filter(|f| !f.file_name.is_ascii()).count();
        assert!(
            unicode * 100 > files.len() && unicode * 100 < files.len() * 6,
            "{unicode}"
        );
        let unacknowledged = files.iter().filter(|f| f.acknowledged_at.is_none()).count();
        assert!((15..25).contains(&(unacknowledged * 100 / files.len())));
        let ids: std::collections::HashSet<&str> = files.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids.len(), files.len());
        // The newest file is close to the end of the span.
        assert!(ds.file(99_999).created_at > END - 86_400 * 2);
        assert!(ds.file(0).created_at < END - SPAN + 86_400 * 2);
    }

    #[test]
    fn mime_table_is_sorted_by_name() {
        assert!(MIMES.windows(2).all(|w| w[0].mime < w[1].mime));
    }

    #[test]
    fn sort_key_names_round_trip() {
        for key in SortKey::ALL {
            assert_eq!(SortKey::parse(key.as_str()), Some(key));
        }
        assert_eq!(SortKey::parse("bogus"), None);
        assert_eq!(SortKey::parse("Size"), None);
    }

    #[test]
    fn every_order_is_a_correctly_ordered_permutation() {
        let ds = Dataset::new(42, 2000);
        for sort_by in SortKey::ALL {
            for descending in [false, true] {
                let q = DatasetQuery {
                    sort_by,
                    descending,
                    ..Default::default()
                };
                let got = ds.query(&q);
                let mut seen = got.to_vec();
                seen.sort_unstable();
                assert_eq!(
                    seen,
                    (0..2000).collect::<Vec<u32>>(),
                    "{q:?} is not a permutation"
                );
                assert_eq!(*got, brute_force(&ds, &q), "{q:?}");
                assert_eq!(ds.order(&q).to_vec(), *got, "{q:?}");
            }
        }
    }

    #[test]
    fn default_order_needs_no_index_array() {
        let ds = Dataset::new(42, 10_000_000);
        let order = ds
            .cached_order(&DatasetQuery::default())
            .expect("always ready");
        assert_eq!(order.len(), 10_000_000);
        assert_eq!(
            order.page(0, 3).collect::<Vec<_>>(),
            [9_999_999, 9_999_998, 9_999_997]
        );
        assert_eq!(order.page(9_999_999, 100).collect::<Vec<_>>(), [0]);
        assert_eq!(order.page(10_000_000, 100).count(), 0);
        assert!(order.indices.is_none());
        // Not built yet, so not ready.
        let by_size = DatasetQuery {
            sort_by: SortKey::Size,
            ..Default::default()
        };
        assert!(ds.cached_order(&by_size).is_none());
    }

    #[test]
    fn multi_threaded_passes_match_brute_force() {
        // Big enough to be split across threads where the machine has cores.
        let ds = Dataset::new(9, 120_000);
        let by_name = DatasetQuery {
            sort_by: SortKey::FileName,
            descending: false,
            ..Default::default()
        };
        assert_eq!(*ds.query(&by_name), brute_force(&ds, &by_name));
        let search = DatasetQuery {
            search: Some("Rep".into()),
            sort_by: SortKey::FileName,
            ..Default::default()
        };
        assert_eq!(*ds.query(&search), brute_force(&ds, &search));
    }

    #[test]
    fn filters_match_brute_force() {
        let ds = Dataset::new(42, 2000);
        let sample = ds.file(1234);
        let queries = [
            DatasetQuery {
                search: Some("REPORT".into()),
                ..Default::default()
            },
            DatasetQuery {
                search: Some(sample.id[9..18].to_uppercase()),
                ..Default::default()
            },
            DatasetQuery {
                search: Some("報告".into()),
                sort_by: SortKey::FileName,
                ..Default::default()
            },
            DatasetQuery {
                search: Some("invoices/".into()),
                sort_by: SortKey::Size,
                descending: false,
                ..Default::default()
            },
            DatasetQuery {
                search: Some("\u{1b}[31m".into()),
                ..Default::default()
            },
            DatasetQuery {
                content_type: Some("image/png".into()),
                sort_by: SortKey::UpdatedAt,
                ..Default::default()
            },
            DatasetQuery {
                content_type: Some("IMAGE/PNG".into()),
                ..Default::default()
            },
            DatasetQuery {
                size_gte: Some(1 << 20),
                size_lte: Some(1 << 24),
                sort_by: SortKey::ContentType,
                descending: false,
                ..Default::default()
            },
            DatasetQuery {
                size_lte: Some(0),
                ..Default::default()
            },
            DatasetQuery {
                search: Some("e".into()),
                content_type: Some("application/pdf".into()),
                size_gte: Some(100_000),
                sort_by: SortKey::FileName,
                descending: true,
                ..Default::default()
            },
        ];
        for q in &queries {
            let expected = brute_force(&ds, q);
            assert_eq!(*ds.query(q), expected, "{q:?}");
            assert_eq!(ds.order(q).to_vec(), expected, "{q:?}");
        }
        assert!(ds.query(&queries[1]).contains(&1234));
        assert!(ds.query(&queries[4]).contains(&7));
        assert!(
            ds.query(&queries[6]).is_empty(),
            "content_type is an exact match"
        );
        assert!(!ds.query(&queries[0]).is_empty());
    }

    #[test]
    fn filtered_results_are_cached_and_shared_between_directions() {
        let ds = Dataset::new(42, 2000);
        let asc = DatasetQuery {
            content_type: Some("application/pdf".into()),
            descending: false,
            ..Default::default()
        };
        let desc = DatasetQuery {
            descending: true,
            ..asc.clone()
        };
        assert!(ds.cached_order(&asc).is_none());
        let first = ds.order(&asc);
        let again = ds
            .cached_order(&desc)
            .expect("cached by the ascending query");
        assert!(Arc::ptr_eq(
            first.indices.as_ref().unwrap(),
            again.indices.as_ref().unwrap()
        ));
        // The cache stays bounded.
        for min in 0..40 {
            ds.order(&DatasetQuery {
                size_gte: Some(min),
                ..Default::default()
            });
        }
        assert!(ds.cache.lock().unwrap().len() <= CACHE_ENTRIES);
    }

    #[test]
    fn empty_dataset_and_empty_search() {
        let ds = Dataset::new(42, 0);
        assert!(ds.is_empty());
        for sort_by in SortKey::ALL {
            assert!(
                ds.query(&DatasetQuery {
                    sort_by,
                    ..Default::default()
                })
                .is_empty()
            );
        }
        let all = Dataset::new(42, 50);
        let q = DatasetQuery {
            search: Some(String::new()),
            ..Default::default()
        };
        assert!(!q.is_filtered());
        assert_eq!(all.order(&q).len(), 50);
    }

    #[test]
    fn calendar_fields_match_chrono() {
        let mut name = String::new();
        for unix in (-3_000_000_000..2_000_000_000i64).step_by(86_400 * 7 + 3_601) {
            let at = chrono::DateTime::from_timestamp(unix, 0).unwrap();
            let stamp = Stamp::new(unix);
            name.clear();
            write!(name, "{}T{}", stamp.date("-"), stamp.time(":")).unwrap();
            assert_eq!(name, at.format("%Y-%m-%dT%H:%M:%S").to_string());
        }
    }

    #[test]
    fn uuids_are_version_4_variant_1() {
        let mut id = String::new();
        for (high, low) in [
            (0, 0),
            (u64::MAX, u64::MAX),
            (0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210),
        ] {
            id.clear();
            write_uuid(&mut id, high, low);
            let groups: Vec<&str> = id.split('-').collect();
            assert_eq!(
                groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12]
            );
            assert!(groups[2].starts_with('4'));
            assert!(matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
            assert!(
                id.bytes()
                    .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            );
        }
        id.clear();
        write_uuid(&mut id, 0x0123_4567_89ab_cdef, 0);
        assert_eq!(id, "01234567-89ab-4def-8000-000000000000");
    }

    #[test]
    fn url_is_percent_encoded_key() {
        assert_eq!(
            cdn_url(0xab, "ab/c d/é.txt", 7),
            "/cdn/000000ab/ab/c%20d/%C3%A9.txt"
        );
        assert_eq!(cdn_url(1, "a\u{1b}b", 0), "/cdn/00000001/a%1Bb");
        // A slash in the name is encoded: the name stays one segment.
        assert_eq!(
            cdn_url(2, "o/f/../../x", 4),
            "/cdn/00000002/o/f/..%2F..%2Fx"
        );
    }
}
