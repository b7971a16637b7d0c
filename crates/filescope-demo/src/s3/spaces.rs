//! Key spaces shaped as real buckets are, served instead of the dataset's
//! folder layout (see [`KeySpace`]): what a search of the key space by
//! `start-after` meets outside the demo's own bucket. Each key names record
//! `i` of the dataset (its size, date, ETag), so a bucket of `--files N`
//! holds N keys and no awkward ones.

use std::fmt::Write as _;

use super::mix;

/// The keys a bucket holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeySpace {
    /// The dataset's records under realistic folders, plus the awkward keys
    /// (see the `keys` module).
    #[default]
    Dataset,
    /// Random UUIDs, flat: `3f0c1e2a-9b4d-4c8e-a1f2-0d9e8c7b6a51`.
    Uuids,
    /// One folder per key named by 16 hex digits: `00a1b2c3d4e5f607/part-0.parquet`.
    HexFolders,
    /// Sequentially numbered keys in one folder: `logs/2025/app/000000123.log`.
    Numbered,
    /// A counter that outgrew its width: `obj-00000` … `obj-99999`, `obj-100000` …
    /// (as `moto` lists 100,017 keys made by a loop).
    Counter,
    /// Timestamped names a few minutes apart over about a year:
    /// `export-20250314T092653Z-1a2b.json.gz`.
    Timestamped,
    /// A dense middle (`part-…`, random) and a few keys far from it on each
    /// side, the last one beyond ASCII.
    SparseEnds,
    /// Nine keys in ten under one prefix (`events/000123456.json`), the rest spread
    /// over the key space by random hex names (`3f0c/1a2b3c4d.dat`): the skewed
    /// bucket a key-range lister must cut where the keys are.
    Skewed,
    /// Date-partitioned keys, a folder per day of a year:
    /// `dt=2025-03-14/part-0001234-1a2b3c4d.parquet`.
    DatePartitioned,
}

/// The keys before and after the dense middle of [`KeySpace::SparseEnds`].
pub const SPARSE_FIRST: [&str; 3] = ["!first.txt", "0-readme.txt", "Archive.zip"];
/// See [`SPARSE_FIRST`]; the last key of that bucket is the last of these.
pub const SPARSE_LAST: [&str; 5] = [
    "x-late.txt",
    "zz-later.txt",
    "~tilde.txt",
    "ändern.txt",
    "日本語.txt",
];

impl KeySpace {
    /// Every key space, for tests and the bench.
    pub const ALL: [KeySpace; 9] = [
        KeySpace::Dataset,
        KeySpace::Uuids,
        KeySpace::HexFolders,
        KeySpace::Numbered,
        KeySpace::Counter,
        KeySpace::Timestamped,
        KeySpace::SparseEnds,
        KeySpace::Skewed,
        KeySpace::DatePartitioned,
    ];

    /// The name `serve --key-space` and the bench use.
    pub fn name(self) -> &'static str {
        match self {
            KeySpace::Dataset => "dataset",
            KeySpace::Uuids => "uuids",
            KeySpace::HexFolders => "hex-folders",
            KeySpace::Numbered => "numbered",
            KeySpace::Counter => "counter",
            KeySpace::Timestamped => "timestamped",
            KeySpace::SparseEnds => "sparse-ends",
            KeySpace::Skewed => "skewed",
            KeySpace::DatePartitioned => "date-partitioned",
        }
    }

    /// The key space named `name`.
    pub fn from_name(name: &str) -> Option<KeySpace> {
        KeySpace::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The folder a person opens to see the shape (the numbered keys' one).
    pub fn folder(self) -> &'static str {
        match self {
            KeySpace::Numbered => "logs/2025/app/",
            _ => "",
        }
    }

    /// Key `index` of `files` for `seed` (not [`KeySpace::Dataset`], whose
    /// keys the `keys` module builds). Distinct for distinct indices.
    pub(super) fn key(self, seed: u64, files: usize, index: usize) -> String {
        let h = |salt: u64| mix(seed ^ mix(index as u64 ^ salt));
        let mut key = String::with_capacity(48);
        let written = match self {
            KeySpace::Dataset => Ok(()),
            KeySpace::Uuids => {
                // The index in the last 32 bits keeps every key distinct.
                let (a, b) = (h(0x5555), h(0xAAAA));
                write!(
                    key,
                    "{:08x}-{:04x}-4{:03x}-{:04x}-{:04x}{:08x}",
                    a >> 32,
                    (a >> 16) & 0xFFFF,
                    a & 0xFFF,
                    0x8000 | (b >> 48) & 0x3FFF,
                    (b >> 32) & 0xFFFF,
                    index as u32
                )
            }
            KeySpace::HexFolders => {
                // Distinct: a bijective hash of the index.
                write!(key, "{:016x}/part-0.parquet", mix(seed ^ index as u64))
            }
            KeySpace::Numbered => write!(key, "logs/2025/app/{index:09}.log"),
            KeySpace::Counter => write!(key, "obj-{index:05}"),
            KeySpace::Timestamped => {
                // Spread over a year, each in a slot of its own (distinct).
                let start = 1_735_689_600u64; // 2025-01-01T00:00:00Z
                let step = (31_536_000 / files.max(1) as u64).max(2);
                let at = start + index as u64 * step + h(7) % (step - 1);
                let (date, time) = civil(at);
                write!(key, "export-{date}T{time}Z-{:04x}.json.gz", h(9) & 0xFFFF)
            }
            KeySpace::SparseEnds => {
                let dense = files.saturating_sub(SPARSE_FIRST.len() + SPARSE_LAST.len());
                if index < SPARSE_FIRST.len() {
                    key.push_str(SPARSE_FIRST[index]);
                    Ok(())
                } else if index < SPARSE_FIRST.len() + dense {
                    write!(
                        key,
                        "part-{:06x}{:08x}.parquet",
                        h(3) & 0xFF_FFFF,
                        index as u32
                    )
                } else {
                    key.push_str(SPARSE_LAST[(index - SPARSE_FIRST.len() - dense) % 5]);
                    Ok(())
                }
            }
            KeySpace::Skewed => {
                if index % 10 != 9 {
                    write!(key, "events/{index:09}.json")
                } else {
                    let r = h(11);
                    write!(key, "{:04x}/{:08x}.dat", r >> 48, index as u32)
                }
            }
            KeySpace::DatePartitioned => {
                let day = (index as u64 * 365 / files.max(1) as u64).min(364);
                let start = 1_735_689_600u64; // 2025-01-01
                let (date, _) = civil(start + day * 86_400);
                write!(
                    key,
                    "dt={}-{}-{}/part-{index:07}-{:08x}.parquet",
                    &date[..4],
                    &date[4..6],
                    &date[6..],
                    h(13) & 0xFFFF_FFFF
                )
            }
        };
        written.expect("writing to a String cannot fail");
        key
    }
}

/// `yyyymmdd` and `HHMMSS` of a Unix time.
fn civil(unix: u64) -> (String, String) {
    let at =
        chrono::DateTime::from_timestamp(i64::try_from(unix).unwrap_or(0), 0).unwrap_or_default();
    (
        at.format("%Y%m%d").to_string(),
        at.format("%H%M%S").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn keys_are_distinct_and_shaped_as_named() {
        for space in KeySpace::ALL.into_iter().skip(1) {
            let files = 20_000;
            let keys: Vec<String> = (0..files).map(|i| space.key(42, files, i)).collect();
            let distinct: HashSet<&String> = keys.iter().collect();
            assert_eq!(distinct.len(), files, "{space:?}");
            assert_eq!(KeySpace::from_name(space.name()), Some(space));
            assert!(keys.iter().all(|k| k.starts_with(space.folder())));
        }
        assert_eq!(KeySpace::Uuids.key(1, 10, 3).len(), 36);
        assert_eq!(
            KeySpace::Numbered.key(1, 10, 123),
            "logs/2025/app/000000123.log"
        );
        assert_eq!(KeySpace::Counter.key(1, 200_000, 100_016), "obj-100016");
        let stamp = KeySpace::Timestamped.key(1, 100_000, 0);
        assert!(stamp.starts_with("export-20250101T0"), "{stamp}");
        let last = KeySpace::Timestamped.key(1, 100_000, 99_999);
        assert!(last.starts_with("export-2025"), "{last}");
        assert_eq!(KeySpace::SparseEnds.key(1, 100, 99), "日本語.txt");
        assert_eq!(KeySpace::Skewed.key(1, 100, 3), "events/000000003.json");
        assert!(KeySpace::Skewed.key(1, 100, 9).ends_with("/00000009.dat"));
        let part = KeySpace::DatePartitioned.key(1, 365_000, 1000 * 73);
        assert!(part.starts_with("dt=2025-03-15/part-0073000-"), "{part}");
    }
}
