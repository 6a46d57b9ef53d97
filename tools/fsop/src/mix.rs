// SPDX-License-Identifier: GPL-2.0
//! Operation kinds and the weighted operation mix (`--ops-mix`).

use crate::rng::Rng;

/// One kind of operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// Buffered pread, compared with the model.
    Read,
    /// Buffered pwrite at a random offset (may extend the file or leave holes).
    Write,
    /// Read through a shared read-only mapping.
    MapRead,
    /// Store through a shared writable mapping inside the file.
    MapWrite,
    /// Store through a mapping into the EOF page beyond i_size.
    MapEof,
    /// ftruncate down or up.
    Truncate,
    /// O_DIRECT pread.
    DRead,
    /// O_DIRECT pwrite.
    DWrite,
    /// fsync or fdatasync.
    Fsync,
    /// Close and reopen the file.
    Reopen,
    /// Close, unmount, mount, reopen, verify the whole file.
    Remount,
}

/// Every kind, in the order of the count table and of `--ops-mix` help.
pub const ALL: [OpKind; 11] = [
    OpKind::Read,
    OpKind::Write,
    OpKind::MapRead,
    OpKind::MapWrite,
    OpKind::MapEof,
    OpKind::Truncate,
    OpKind::DRead,
    OpKind::DWrite,
    OpKind::Fsync,
    OpKind::Reopen,
    OpKind::Remount,
];

impl OpKind {
    /// The name used in `--ops-mix`, logs and the count table.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Read => "read",
            OpKind::Write => "write",
            OpKind::MapRead => "mapread",
            OpKind::MapWrite => "mapwrite",
            OpKind::MapEof => "mapeof",
            OpKind::Truncate => "truncate",
            OpKind::DRead => "dread",
            OpKind::DWrite => "dwrite",
            OpKind::Fsync => "fsync",
            OpKind::Reopen => "reopen",
            OpKind::Remount => "remount",
        }
    }

    /// The index of this kind in [`ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The kind called `name`.
    pub fn from_name(name: &str) -> Option<OpKind> {
        ALL.iter().copied().find(|k| k.name() == name)
    }
}

/// Weights are kept in thousandths so that `remount=0.05` is expressible.
const SCALE: f64 = 1000.0;

/// The default mix, in the units of `--ops-mix`.
const DEFAULT: [(OpKind, f64); 11] = [
    (OpKind::Read, 10.0),
    (OpKind::Write, 20.0),
    (OpKind::MapRead, 10.0),
    (OpKind::MapWrite, 10.0),
    (OpKind::MapEof, 2.0),
    (OpKind::Truncate, 5.0),
    (OpKind::DRead, 5.0),
    (OpKind::DWrite, 5.0),
    (OpKind::Fsync, 2.0),
    (OpKind::Reopen, 1.0),
    (OpKind::Remount, 0.0),
];

/// The remount weight used when `--remount` is given and the mix does not
/// name `remount`: about one remount per 1400 operations.
pub const DEFAULT_REMOUNT_WEIGHT: f64 = 0.05;

/// Relative weights of the operation kinds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mix {
    weights: [u64; 11],
    named: [bool; 11],
}

impl Default for Mix {
    fn default() -> Self {
        let mut mix = Mix {
            weights: [0; 11],
            named: [false; 11],
        };
        for (kind, w) in DEFAULT {
            mix.weights[kind.index()] = to_units(w);
        }
        mix
    }
}

fn to_units(weight: f64) -> u64 {
    (weight * SCALE).round() as u64
}

impl Mix {
    /// The default mix with the weights named in `spec`
    /// (`read=10,write=20,remount=0.05`) replaced.
    pub fn parse(spec: &str) -> Result<Mix, String> {
        let mut mix = Mix::default();
        for item in spec.split(',').filter(|s| !s.is_empty()) {
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| format!("--ops-mix: '{item}' is not NAME=WEIGHT"))?;
            let kind = OpKind::from_name(name.trim())
                .ok_or_else(|| format!("--ops-mix: unknown operation '{name}'"))?;
            let weight: f64 = value
                .trim()
                .parse()
                .map_err(|_| format!("--ops-mix: bad weight '{value}' for {name}"))?;
            if !weight.is_finite() || weight < 0.0 {
                return Err(format!("--ops-mix: bad weight '{value}' for {name}"));
            }
            mix.weights[kind.index()] = to_units(weight);
            mix.named[kind.index()] = true;
        }
        Ok(mix)
    }

    /// Whether `kind` was given a weight explicitly.
    pub fn is_named(&self, kind: OpKind) -> bool {
        self.named[kind.index()]
    }

    /// Sets the weight of `kind` (in `--ops-mix` units).
    pub fn set(&mut self, kind: OpKind, weight: f64) {
        self.weights[kind.index()] = to_units(weight);
    }

    /// Never chooses `kind` again.
    pub fn disable(&mut self, kind: OpKind) {
        self.weights[kind.index()] = 0;
    }

    /// The weight of `kind`, in thousandths.
    pub fn weight(&self, kind: OpKind) -> u64 {
        self.weights[kind.index()]
    }

    /// The sum of all weights.
    pub fn total(&self) -> u64 {
        self.weights.iter().sum()
    }

    /// A kind chosen with probability proportional to its weight
    /// (`None` if every weight is 0).
    pub fn choose(&self, rng: &mut Rng) -> Option<OpKind> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let mut pick = rng.below(total);
        for kind in ALL {
            let w = self.weight(kind);
            if pick < w {
                return Some(kind);
            }
            pick -= w;
        }
        None
    }

    /// The mix in `--ops-mix` syntax, zero weights left out.
    pub fn describe(&self) -> String {
        ALL.iter()
            .filter(|k| self.weight(**k) > 0)
            .map(|k| format!("{}={}", k.name(), self.weight(*k) as f64 / SCALE))
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::{Mix, OpKind, ALL};
    use crate::rng::Rng;

    #[test]
    fn names_round_trip() {
        for kind in ALL {
            assert_eq!(OpKind::from_name(kind.name()), Some(kind));
            assert_eq!(ALL[kind.index()], kind);
        }
    }

    #[test]
    fn parse_overrides_only_named() {
        let mix = Mix::parse("read=3,remount=0.05").expect("valid spec");
        assert_eq!(mix.weight(OpKind::Read), 3000);
        assert_eq!(mix.weight(OpKind::Remount), 50);
        assert_eq!(
            mix.weight(OpKind::Write),
            Mix::default().weight(OpKind::Write)
        );
        assert!(mix.is_named(OpKind::Remount));
        assert!(!mix.is_named(OpKind::Write));
    }

    #[test]
    fn parse_rejects_garbage() {
        assert!(Mix::parse("bogus=1").is_err());
        assert!(Mix::parse("read").is_err());
        assert!(Mix::parse("read=-1").is_err());
        assert!(Mix::parse("read=x").is_err());
    }

    #[test]
    fn choose_follows_weights() {
        let mix = Mix::parse(
            "read=1,write=0,mapread=0,mapwrite=0,mapeof=0,truncate=0,\
             dread=0,dwrite=0,fsync=0,reopen=0,remount=0",
        )
        .expect("valid spec");
        let mut rng = Rng::new(1);
        for _ in 0..100 {
            assert_eq!(mix.choose(&mut rng), Some(OpKind::Read));
        }
        let mut none = mix.clone();
        none.disable(OpKind::Read);
        assert_eq!(none.choose(&mut rng), None);
    }
}
