// SPDX-License-Identifier: GPL-2.0
//! `storm`: seeded namespace operations against a model of the tree.
//!
//! A bulk phase creates 400 files with names of 1 to 250 bytes in one
//! directory (several directory blocks), renames them all into another,
//! then unlinks every other one. Then `--ops` seeded random steps on a tree
//! under `storm/`: create (O_EXCL), mkdir, fast (< 60 bytes) and slow
//! symlinks, mkfifo, hard links across directories, rename to new names
//! and over existing targets across directories, renameat2 with
//! RENAME_NOREPLACE, unlink, rmdir, appends. Names come from a small pool,
//! so collisions are frequent. Every step's result (success or the errno:
//! EEXIST, ENOTEMPTY, EISDIR, ENOTDIR, EINVAL for a directory into its own
//! subtree) must be what the model predicts.
//!
//! At the end the tree is listed (every entry's type, link count, size and
//! contents digest or symlink target, and which names share an inode) and
//! compared with the model's listing; `verify` replays the model from the
//! seed and compares again, e.g. under the in-kernel ext2 after remount.

use crate::report::{ensure, Report};
use crate::rng::Rng;
use crate::sys;
use crate::{Ctx, Phase};
use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

type Id = usize;

/// What a node is.
#[derive(Clone, Debug)]
enum Kind {
    File(Vec<u8>),
    Dir(BTreeMap<String, Id>),
    Symlink(String),
    Fifo,
}

#[derive(Clone, Debug)]
struct Node {
    kind: Kind,
    /// The parent (directories only).
    parent: Id,
    /// Names linked to a non-directory.
    links: u32,
}

/// A path relative to the storm root, as components.
pub type Rel = Vec<String>;

/// One step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// open(O_CREAT|O_EXCL) and write `len` bytes from `seed`.
    Create(Rel, u64, u64),
    /// mkdir.
    Mkdir(Rel),
    /// symlink to the target.
    Symlink(Rel, String),
    /// mkfifo.
    Mkfifo(Rel),
    /// link(existing, new).
    Link(Rel, Rel),
    /// renameat2(old, new, RENAME_NOREPLACE if true).
    Rename(Rel, Rel, bool),
    /// unlink.
    Unlink(Rel),
    /// rmdir.
    Rmdir(Rel),
    /// append `len` bytes from `seed`.
    Append(Rel, u64, u64),
}

/// The model tree.
#[derive(Clone, Debug)]
pub struct Tree {
    nodes: Vec<Option<Node>>,
}

fn data(len: u64, seed: u64) -> Vec<u8> {
    let mut v = vec![0u8; len as usize];
    Rng::new(seed).fill(&mut v);
    v
}

impl Default for Tree {
    fn default() -> Self {
        Tree {
            nodes: vec![Some(Node {
                kind: Kind::Dir(BTreeMap::new()),
                parent: 0,
                links: 0,
            })],
        }
    }
}

impl Tree {
    fn node(&self, id: Id) -> &Node {
        self.nodes[id].as_ref().expect("live node")
    }

    fn children(&self, id: Id) -> Option<&BTreeMap<String, Id>> {
        match &self.node(id).kind {
            Kind::Dir(c) => Some(c),
            _ => None,
        }
    }

    fn children_mut(&mut self, id: Id) -> &mut BTreeMap<String, Id> {
        match &mut self.nodes[id].as_mut().expect("live node").kind {
            Kind::Dir(c) => c,
            _ => panic!("not a directory"),
        }
    }

    fn is_dir(&self, id: Id) -> bool {
        self.children(id).is_some()
    }

    fn lookup(&self, rel: &[String]) -> Option<Id> {
        let mut id = 0;
        for c in rel {
            id = *self.children(id)?.get(c)?;
        }
        Some(id)
    }

    /// The parent directory and name of `rel` (which must not be empty).
    fn split<'a>(&self, rel: &'a [String]) -> Option<(Id, &'a String)> {
        let (name, dir) = rel.split_last()?;
        let d = self.lookup(dir)?;
        self.is_dir(d).then_some((d, name))
    }

    /// Whether `id` is `anc` or below it.
    fn within(&self, mut id: Id, anc: Id) -> bool {
        loop {
            if id == anc {
                return true;
            }
            if id == 0 {
                return false;
            }
            id = self.node(id).parent;
        }
    }

    fn add(&mut self, dir: Id, name: &str, kind: Kind) {
        let links = u32::from(!matches!(kind, Kind::Dir(_)));
        self.nodes.push(Some(Node {
            kind,
            parent: dir,
            links,
        }));
        let id = self.nodes.len() - 1;
        self.children_mut(dir).insert(name.to_string(), id);
    }

    /// Removes the entry `name` of `dir`, dropping the node when unlinked.
    fn remove(&mut self, dir: Id, name: &str) {
        let id = self.children_mut(dir).remove(name).expect("entry");
        if self.is_dir(id) {
            self.nodes[id] = None;
        } else {
            let n = self.nodes[id].as_mut().expect("live node");
            n.links -= 1;
            if n.links == 0 {
                self.nodes[id] = None;
            }
        }
    }

    /// Applies `op`; returns the errno it must give (0 for success).
    pub fn apply(&mut self, op: &Op) -> i32 {
        match op {
            Op::Create(rel, len, seed) => self.make(rel, Kind::File(data(*len, *seed))),
            Op::Mkdir(rel) => self.make(rel, Kind::Dir(BTreeMap::new())),
            Op::Symlink(rel, t) => self.make(rel, Kind::Symlink(t.clone())),
            Op::Mkfifo(rel) => self.make(rel, Kind::Fifo),
            Op::Link(old, new) => {
                let Some(src) = self.lookup(old) else {
                    return libc::ENOENT;
                };
                let Some((d, name)) = self.split(new) else {
                    return libc::ENOENT;
                };
                if self.is_dir(src) {
                    return libc::EPERM;
                }
                if self.children(d).is_some_and(|c| c.contains_key(name)) {
                    return libc::EEXIST;
                }
                self.nodes[src].as_mut().expect("live node").links += 1;
                self.children_mut(d).insert(name.clone(), src);
                0
            }
            Op::Rename(old, new, noreplace) => self.rename(old, new, *noreplace),
            Op::Unlink(rel) => {
                let (Some(id), Some((d, name))) = (self.lookup(rel), self.split(rel)) else {
                    return libc::ENOENT;
                };
                if self.is_dir(id) {
                    return libc::EISDIR;
                }
                self.remove(d, name);
                0
            }
            Op::Rmdir(rel) => {
                let (Some(id), Some((d, name))) = (self.lookup(rel), self.split(rel)) else {
                    return libc::ENOENT;
                };
                match self.children(id) {
                    None => libc::ENOTDIR,
                    Some(c) if !c.is_empty() => libc::ENOTEMPTY,
                    Some(_) => {
                        self.remove(d, name);
                        0
                    }
                }
            }
            Op::Append(rel, len, seed) => {
                let Some(id) = self.lookup(rel) else {
                    return libc::ENOENT;
                };
                match &mut self.nodes[id].as_mut().expect("live node").kind {
                    Kind::File(v) => {
                        v.extend(data(*len, *seed));
                        0
                    }
                    _ => libc::EINVAL,
                }
            }
        }
    }

    fn make(&mut self, rel: &[String], kind: Kind) -> i32 {
        let Some((d, name)) = self.split(rel) else {
            return libc::ENOENT;
        };
        if self.children(d).is_some_and(|c| c.contains_key(name)) {
            return libc::EEXIST;
        }
        self.add(d, name, kind);
        0
    }

    /// rename(2) as Linux orders its checks: RENAME_NOREPLACE on an
    /// existing target, a directory into itself (EINVAL), a target that is
    /// an ancestor of the source (ENOTEMPTY), the same inode (nothing to
    /// do), then the type and emptiness checks.
    fn rename(&mut self, old: &[String], new: &[String], noreplace: bool) -> i32 {
        let (Some(src), Some((sd, sname))) = (self.lookup(old), self.split(old)) else {
            return libc::ENOENT;
        };
        let Some((dd, dname)) = self.split(new) else {
            return libc::ENOENT;
        };
        let dst = self.children(dd).and_then(|c| c.get(dname)).copied();
        if noreplace && dst.is_some() {
            return libc::EEXIST;
        }
        if self.is_dir(src) && self.within(dd, src) {
            return libc::EINVAL;
        }
        if let Some(t) = dst {
            if self.is_dir(t) && t != src && self.within(sd, t) {
                return libc::ENOTEMPTY;
            }
            if t == src {
                return 0;
            }
            match (self.is_dir(src), self.children(t)) {
                (true, None) => return libc::ENOTDIR,
                (true, Some(c)) if !c.is_empty() => return libc::ENOTEMPTY,
                (false, Some(_)) => return libc::EISDIR,
                _ => {}
            }
            self.remove(dd, dname);
        }
        self.children_mut(sd).remove(sname);
        self.children_mut(dd).insert(dname.clone(), src);
        if self.is_dir(src) {
            self.nodes[src].as_mut().expect("live node").parent = dd;
        }
        0
    }

    /// Every entry below the root: (path, id), depth first in name order.
    fn entries(&self) -> Vec<(Rel, Id)> {
        let mut out = Vec::new();
        let mut stack = vec![(Vec::new(), 0)];
        while let Some((rel, id)) = stack.pop() {
            if let Some(c) = self.children(id) {
                for (name, &child) in c.iter().rev() {
                    let mut r: Rel = rel.clone();
                    r.push(name.clone());
                    stack.push((r.clone(), child));
                }
            }
            if !rel.is_empty() {
                out.push((rel, id));
            }
        }
        out
    }

    /// The listing the real tree must produce (see [`list_dir`]).
    pub fn listing(&self) -> Vec<String> {
        let entries = self.entries();
        let mut first: HashMap<Id, String> = HashMap::new();
        let mut out = Vec::new();
        for (rel, id) in entries {
            let path = rel.join("/");
            let n = self.node(id);
            let (kind, nlink, detail) = match &n.kind {
                Kind::File(v) => ("file", n.links, format!("{} {:016x}", v.len(), digest(v))),
                Kind::Dir(c) => {
                    let sub = c.values().filter(|&&x| self.is_dir(x)).count() as u32;
                    ("dir", 2 + sub, String::new())
                }
                Kind::Symlink(t) => ("symlink", n.links, t.clone()),
                Kind::Fifo => ("fifo", n.links, String::new()),
            };
            let group = first.entry(id).or_insert_with(|| path.clone()).clone();
            out.push(line(&path, kind, nlink, &detail, &group));
        }
        out
    }

    /// Every link below the root as (directory, name, node), depth first.
    fn links(&self) -> Vec<(Id, &str, Id)> {
        let mut out = Vec::new();
        let mut stack = vec![0];
        while let Some(d) = stack.pop() {
            for (name, &id) in self.children(d).into_iter().flatten() {
                out.push((d, name.as_str(), id));
                if self.is_dir(id) {
                    stack.push(id);
                }
            }
        }
        out
    }

    /// The path of directory `d`.
    fn dir_rel(&self, mut d: Id) -> Rel {
        let mut rel = Vec::new();
        while d != 0 {
            let p = self.node(d).parent;
            let name = self
                .children(p)
                .and_then(|c| c.iter().find(|e| *e.1 == d))
                .map(|e| e.0.clone())
                .expect("a directory is linked in its parent");
            rel.push(name);
            d = p;
        }
        rel.reverse();
        rel
    }
}

fn line(path: &str, kind: &str, nlink: u32, detail: &str, group: &str) -> String {
    format!("{path} {kind} nlink={nlink} {detail} [{group}]")
}

/// FNV-1a, enough to tell contents apart.
fn digest(v: &[u8]) -> u64 {
    v.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// The listing of the real tree under `root`, same format as the model's.
pub fn list_dir(root: &Path) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut first: HashMap<(u64, u64), String> = HashMap::new();
    let mut stack = vec![String::new()];
    while let Some(rel) = stack.pop() {
        let is_dir = if rel.is_empty() {
            true
        } else {
            let p = root.join(&rel);
            let md =
                std::fs::symlink_metadata(&p).map_err(|e| format!("lstat {}: {e}", p.display()))?;
            let ft = md.file_type();
            let (kind, detail) = if ft.is_file() {
                let v = std::fs::read(&p).map_err(|e| format!("read {}: {e}", p.display()))?;
                ensure(v.len() as u64 == md.len(), || {
                    format!("{rel}: read {} of {} bytes", v.len(), md.len())
                })?;
                ("file", format!("{} {:016x}", v.len(), digest(&v)))
            } else if ft.is_dir() {
                ("dir", String::new())
            } else if ft.is_symlink() {
                let t =
                    std::fs::read_link(&p).map_err(|e| format!("readlink {}: {e}", p.display()))?;
                ("symlink", t.to_string_lossy().into_owned())
            } else if ft.is_fifo() {
                ("fifo", String::new())
            } else {
                ("other", String::new())
            };
            let group = first
                .entry((md.dev(), md.ino()))
                .or_insert_with(|| rel.clone())
                .clone();
            out.push(line(&rel, kind, md.nlink() as u32, &detail, &group));
            ft.is_dir()
        };
        if !is_dir {
            continue;
        }
        let dir = root.join(&rel);
        let mut names = Vec::new();
        for e in std::fs::read_dir(&dir).map_err(|e| format!("readdir {}: {e}", dir.display()))? {
            let e = e.map_err(|e| format!("readdir {}: {e}", dir.display()))?;
            names.push(e.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        for name in names.into_iter().rev() {
            stack.push(if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            });
        }
    }
    Ok(out)
}

/// A name from a small pool (so names collide), now and then a long one.
fn name(rng: &mut Rng) -> String {
    let k = rng.below(24);
    if rng.chance(1, 10) {
        format!("L{k}_{}", "x".repeat(150 + 4 * k as usize))
    } else {
        format!("n{k}")
    }
}

fn pick<T: Clone>(rng: &mut Rng, v: &[T]) -> T {
    v[rng.below(v.len() as u64) as usize].clone()
}

fn join(mut dir: Rel, name: String) -> Rel {
    dir.push(name);
    dir
}

/// The bulk phase: 400 files in one directory, all renamed into another,
/// every other one unlinked.
fn bulk() -> Vec<Op> {
    let s = |x: &str| x.to_string();
    let mut ops = vec![Op::Mkdir(vec![s("bulk")]), Op::Mkdir(vec![s("bulk2")])];
    let names: Vec<String> = (0..400)
        .map(|i| format!("{i}{}", "b".repeat((i * 37) % 250)))
        .collect();
    for (i, n) in names.iter().enumerate() {
        ops.push(Op::Create(
            vec![s("bulk"), n.clone()],
            (i % 5) as u64 * 700,
            i as u64,
        ));
    }
    for n in &names {
        ops.push(Op::Rename(
            vec![s("bulk"), n.clone()],
            vec![s("bulk2"), n.clone()],
            false,
        ));
    }
    for n in names.iter().step_by(2) {
        ops.push(Op::Unlink(vec![s("bulk2"), n.clone()]));
    }
    ops.push(Op::Rmdir(vec![s("bulk")]));
    ops
}

/// A random step for the current model.
fn random_op(rng: &mut Rng, t: &Tree) -> Op {
    // Light lists (ids, no paths); paths only for what is picked.
    let links = t.links();
    let mut dirs: Vec<Id> = links
        .iter()
        .filter(|l| t.is_dir(l.2))
        .map(|l| l.2)
        .collect();
    dirs.push(0);
    let nondirs: Vec<(Id, &str)> = links
        .iter()
        .filter(|l| !t.is_dir(l.2))
        .map(|l| (l.0, l.1))
        .collect();
    let files: Vec<(Id, &str)> = links
        .iter()
        .filter(|l| matches!(t.node(l.2).kind, Kind::File(_)))
        .map(|l| (l.0, l.1))
        .collect();
    let entries: Vec<(Id, &str)> = links.iter().map(|l| (l.0, l.1)).collect();
    let rel = |(d, n): (Id, &str)| join(t.dir_rel(d), n.to_string());
    let fresh = |rng: &mut Rng| join(t.dir_rel(pick(rng, &dirs)), name(rng));
    let any =
        |rng: &mut Rng| -> Option<Rel> { (!entries.is_empty()).then(|| rel(pick(rng, &entries))) };
    let dirs_rel = |rng: &mut Rng| t.dir_rel(pick(rng, &dirs[..dirs.len() - 1]));
    let nondirs_rel = |rng: &mut Rng| rel(pick(rng, &nondirs));
    let files_rel = |rng: &mut Rng| rel(pick(rng, &files));
    let r = rng.below(100);
    let op = match r {
        0..=17 => Some(Op::Create(fresh(rng), rng.below(3000), rng.next_u64())),
        18..=25 => Some(Op::Mkdir(fresh(rng))),
        26..=31 => {
            let len = if rng.chance(1, 2) {
                rng.between(1, 59)
            } else {
                rng.between(60, 400)
            };
            let target: String = (0..len).map(|i| (b'a' + (i % 26) as u8) as char).collect();
            Some(Op::Symlink(fresh(rng), target))
        }
        32..=33 => Some(Op::Mkfifo(fresh(rng))),
        34..=41 => (!nondirs.is_empty()).then(|| Op::Link(nondirs_rel(rng), fresh(rng))),
        42..=66 => any(rng).map(|src| {
            let dst = if rng.chance(1, 2) {
                any(rng).unwrap_or_else(|| fresh(rng))
            } else {
                fresh(rng)
            };
            Op::Rename(src, dst, rng.chance(1, 4))
        }),
        67..=78 => any(rng).map(Op::Unlink),
        79..=88 => (dirs.len() > 1).then(|| Op::Rmdir(dirs_rel(rng))),
        _ => (!files.is_empty())
            .then(|| Op::Append(files_rel(rng), rng.between(1, 2000), rng.next_u64())),
    };
    op.unwrap_or_else(|| Op::Mkdir(fresh(rng)))
}

/// Generates and applies the whole plan, calling `exec(op, expected)`
/// after each model step; stops at the first error `exec` returns.
pub fn drive(
    seed: u64,
    count: u64,
    t: &mut Tree,
    mut exec: impl FnMut(&Op, i32) -> Result<(), String>,
) -> Result<(), String> {
    for op in bulk() {
        let want = t.apply(&op);
        exec(&op, want)?;
    }
    let mut rng = Rng::new(seed);
    for _ in 0..count {
        let op = random_op(&mut rng, t);
        let want = t.apply(&op);
        exec(&op, want)?;
    }
    Ok(())
}

/// Performs `op` under `root`; returns 0 or the errno.
fn exec(root: &Path, op: &Op) -> Result<i32, String> {
    let p = |rel: &Rel| root.join(rel.join("/"));
    let c = |rel: &Rel| sys::cpath(&p(rel));
    Ok(match op {
        Op::Create(rel, len, seed) => sys::create_file(&p(rel), &data(*len, *seed))?,
        Op::Mkdir(rel) => sys::mkdir(&c(rel)?),
        Op::Symlink(rel, t) => sys::symlink(&sys::cpath(Path::new(t))?, &c(rel)?),
        Op::Mkfifo(rel) => sys::mkfifo(&c(rel)?),
        Op::Link(a, b) => sys::link(&c(a)?, &c(b)?),
        Op::Rename(a, b, nr) => {
            let flags = if *nr { libc::RENAME_NOREPLACE } else { 0 };
            sys::rename2(&c(a)?, &c(b)?, flags)
        }
        Op::Unlink(rel) => sys::unlink(&c(rel)?),
        Op::Rmdir(rel) => sys::rmdir(&c(rel)?),
        Op::Append(rel, len, seed) => {
            let f = sys::Fd::open(&p(rel), libc::O_WRONLY | libc::O_APPEND)?;
            match f.pwrite_once(&data(*len, *seed), 0) {
                Ok(n) if n as u64 == *len => 0,
                Ok(n) => return Err(format!("append wrote {n} of {len} bytes")),
                Err(e) => e,
            }
        }
    })
}

/// Compares two listings: the first few differing lines.
fn same_listing(want: &[String], got: &[String]) -> Result<(), String> {
    if want == got {
        return Ok(());
    }
    let w: std::collections::BTreeSet<_> = want.iter().collect();
    let g: std::collections::BTreeSet<_> = got.iter().collect();
    let missing: Vec<_> = w.difference(&g).take(3).collect();
    let extra: Vec<_> = g.difference(&w).take(3).collect();
    Err(format!(
        "{} entries listed, {} expected; expected but not found: {missing:?}; found but not expected: {extra:?}",
        got.len(),
        want.len()
    ))
}

/// storm, run or verify.
pub fn storm(ctx: &Ctx, rep: &mut Report) {
    let count = ctx.ops.unwrap_or(3000);
    let root = ctx.dir.join("tree");
    let mut t = Tree::default();
    match ctx.phase {
        Phase::Run => {
            let e = sys::cpath(&root).map(|c| sys::mkdir(&c));
            if e != Ok(0) {
                rep.check("mkdir", Err(format!("mkdir {}: {e:?}", root.display())));
                return;
            }
            let mut n = 0u64;
            let mut outcomes: BTreeMap<String, u32> = BTreeMap::new();
            let r = drive(ctx.seed, count, &mut t, |op, want| {
                n += 1;
                let got = exec(&root, op).map_err(|e| format!("step {n} {op:?}: {e}"))?;
                *outcomes.entry(sys::errno_name(want)).or_default() += 1;
                ensure(got == want, || {
                    format!(
                        "step {n} (seed {}) {op:?}: {}, expected {}",
                        ctx.seed,
                        sys::errno_name(got),
                        sys::errno_name(want)
                    )
                })
            });
            rep.note(&format!("outcomes: {outcomes:?}"));
            let ok = r.is_ok();
            rep.check(
                &format!("{n} namespace steps, each result as the model says"),
                r,
            );
            if ok {
                let r = list_dir(&root).and_then(|got| same_listing(&t.listing(), &got));
                rep.check("tree listing matches the model", r);
            }
        }
        Phase::Verify => {
            let r = drive(ctx.seed, count, &mut t, |_, _| Ok(()))
                .and_then(|()| list_dir(&root))
                .and_then(|got| same_listing(&t.listing(), &got));
            rep.check("tree after remount matches the model", r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(p: &str) -> Rel {
        p.split('/').map(str::to_string).collect()
    }

    #[test]
    fn rename_rules() {
        let mut t = Tree::default();
        assert_eq!(t.apply(&Op::Mkdir(r("a"))), 0);
        assert_eq!(t.apply(&Op::Mkdir(r("a/b"))), 0);
        assert_eq!(t.apply(&Op::Create(r("a/b/f"), 10, 1)), 0);
        assert_eq!(t.apply(&Op::Create(r("g"), 10, 2)), 0);
        assert_eq!(t.apply(&Op::Mkdir(r("e"))), 0);
        assert_eq!(t.apply(&Op::Create(r("g"), 1, 1)), libc::EEXIST);
        // A directory into its own subtree.
        assert_eq!(
            t.apply(&Op::Rename(r("a"), r("a/b/x"), false)),
            libc::EINVAL
        );
        // Onto an ancestor of the source.
        assert_eq!(
            t.apply(&Op::Rename(r("a/b/f"), r("a"), false)),
            libc::ENOTEMPTY
        );
        // Types.
        assert_eq!(t.apply(&Op::Rename(r("g"), r("e"), false)), libc::EISDIR);
        assert_eq!(t.apply(&Op::Rename(r("e"), r("g"), false)), libc::ENOTDIR);
        assert_eq!(t.apply(&Op::Rename(r("e"), r("a"), false)), libc::ENOTEMPTY);
        assert_eq!(t.apply(&Op::Rename(r("g"), r("a/b/f"), true)), libc::EEXIST);
        // Hard links to the same inode: nothing happens.
        assert_eq!(t.apply(&Op::Link(r("g"), r("e/h"))), 0);
        assert_eq!(t.apply(&Op::Rename(r("g"), r("e/h"), false)), 0);
        assert!(t.lookup(&r("g")).is_some());
        // Over an existing file: the target's inode loses a link.
        assert_eq!(t.apply(&Op::Rename(r("a/b/f"), r("g"), false)), 0);
        assert!(t.listing().contains(&line(
            "e/h",
            "file",
            1,
            &format!("10 {:016x}", digest(&data(10, 2))),
            "e/h"
        )));
        // A directory over an empty one moves its parent.
        assert_eq!(t.apply(&Op::Rmdir(r("e"))), libc::ENOTEMPTY);
        assert_eq!(t.apply(&Op::Unlink(r("e/h"))), 0);
        assert_eq!(t.apply(&Op::Rename(r("a/b"), r("e"), false)), 0);
        assert_eq!(t.apply(&Op::Rename(r("a"), r("e/x"), false)), 0);
        assert_eq!(
            t.apply(&Op::Rename(r("e"), r("e/x/y"), false)),
            libc::EINVAL
        );
        assert_eq!(t.apply(&Op::Unlink(r("e"))), libc::EISDIR);
        assert_eq!(t.apply(&Op::Rmdir(r("g"))), libc::ENOTDIR);
        let l = t.listing();
        assert_eq!(l[0], line("e", "dir", 3, "", "e"));
        assert_eq!(l[1], line("e/x", "dir", 2, "", "e/x"));
    }

    #[test]
    fn plan_produces_every_outcome_and_is_deterministic() {
        let mut seen: BTreeMap<i32, u32> = BTreeMap::new();
        let mut t = Tree::default();
        let mut ops = Vec::new();
        drive(11, 3000, &mut t, |op, e| {
            *seen.entry(e).or_default() += 1;
            ops.push(op.clone());
            Ok(())
        })
        .unwrap();
        for e in [
            0,
            libc::EEXIST,
            libc::ENOTEMPTY,
            libc::EISDIR,
            libc::ENOTDIR,
            libc::EINVAL,
        ] {
            assert!(
                seen.get(&e).copied().unwrap_or(0) > 0,
                "{} never happens: {seen:?}",
                sys::errno_name(e)
            );
        }
        let mut t2 = Tree::default();
        let mut i = 0;
        drive(11, 3000, &mut t2, |op, _| {
            assert_eq!(op, &ops[i]);
            i += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(t.listing(), t2.listing());
        let l = t.listing();
        assert!(l.iter().any(|x| x.contains(" symlink ")));
        assert!(l.iter().any(|x| x.contains(" fifo ")));
        assert!(l.iter().any(|x| x.contains(" file nlink=2")));
    }
}
