// SPDX-License-Identifier: GPL-2.0

//! Mount options: `fs_parameter_spec` tables and `fs_parse`.
//!
//! C headers: [`include/linux/fs_parser.h`](srctree/include/linux/fs_parser.h)

use crate::vfs::bindings;
use kernel::ffi::c_int;
use kernel::prelude::*;

/// One value of an enumerated option (`struct constant_table`).
#[repr(transparent)]
pub struct Constant(bindings::constant_table);

// SAFETY: Immutable, and the name pointer is to static data.
unsafe impl Sync for Constant {}

impl Constant {
    /// The value `name` of an enumerated option, reported as `value`.
    pub const fn new(name: &'static CStr, value: i32) -> Self {
        Self(bindings::constant_table {
            name: kernel::str::as_char_ptr_in_const_context(name),
            value,
        })
    }

    /// The terminating entry of a constant table.
    const END: Self = Self(bindings::constant_table {
        name: core::ptr::null(),
        value: 0,
    });
}

/// One option (`struct fs_parameter_spec`).
#[repr(transparent)]
pub struct Spec(bindings::fs_parameter_spec);

// SAFETY: Immutable, and its pointers are to static data.
unsafe impl Sync for Spec {}

/// What kind of value an option has, for reading `fs_parse_result`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Flag,
    Enum,
    Id,
}

/// `fs_param_neg_with_no`: "noNAME" negates the flag.
const NEG_WITH_NO: u16 = 0x0002;

impl Spec {
    /// A flag without a value (`fsparam_flag`).
    pub const fn flag(name: &'static CStr, opt: u8) -> Self {
        Self::new(name, opt, None, 0, core::ptr::null())
    }

    /// A flag that "noNAME" negates (`fsparam_flag_no`).
    pub const fn flag_no(name: &'static CStr, opt: u8) -> Self {
        Self::new(name, opt, None, NEG_WITH_NO, core::ptr::null())
    }

    /// `NAME=value` where the value is one of `values` (`fsparam_enum`).
    pub const fn enumerated<const N: usize>(
        name: &'static CStr,
        opt: u8,
        values: &'static Constants<N>,
    ) -> Self {
        let data = (&raw const values.values).cast::<kernel::ffi::c_void>();
        Self::new(name, opt, Some(bindings::fs_param_is_enum), 0, data)
    }

    /// `NAME=uid`, a user id of the mount's user namespace (`fsparam_uid`).
    /// Its `data` must stay null: `fs_param_is_uid` parses the number with
    /// `fs_param_is_u32`, which takes `data` as the base (0: as C does).
    pub const fn uid(name: &'static CStr, opt: u8) -> Self {
        Self::new(
            name,
            opt,
            Some(bindings::fs_param_is_uid),
            0,
            core::ptr::null(),
        )
    }

    /// `NAME=gid`, a group id of the mount's user namespace (`fsparam_gid`),
    /// with a null `data` as for [`Spec::uid`].
    pub const fn gid(name: &'static CStr, opt: u8) -> Self {
        Self::new(
            name,
            opt,
            Some(bindings::fs_param_is_gid),
            0,
            core::ptr::null(),
        )
    }

    /// Which value `fs_parse` stores for this option: enumerated options
    /// point `data` to their values, ids leave it null (comparing the
    /// type's function pointer is not reliable).
    fn kind(&self) -> Kind {
        if self.0.type_.is_none() {
            Kind::Flag
        } else if self.0.data.is_null() {
            Kind::Id
        } else {
            Kind::Enum
        }
    }

    /// The terminating entry of a table.
    const END: Self = Self(bindings::fs_parameter_spec {
        name: core::ptr::null(),
        type_: None,
        opt: 0,
        flags: 0,
        data: core::ptr::null(),
    });

    const fn new(
        name: &'static CStr,
        opt: u8,
        type_: bindings::fs_param_type,
        flags: u16,
        data: *const kernel::ffi::c_void,
    ) -> Self {
        Self(bindings::fs_parameter_spec {
            name: kernel::str::as_char_ptr_in_const_context(name),
            type_,
            opt,
            flags,
            data,
        })
    }
}

/// A filesystem's option table: `N` options and the terminating entry C
/// wants, laid out as one array.
#[repr(C)]
pub struct Table<const N: usize> {
    specs: [Spec; N],
    end: Spec,
}

impl<const N: usize> Table<N> {
    /// The table of `specs`.
    pub const fn new(specs: [Spec; N]) -> Self {
        Self {
            specs,
            end: Spec::END,
        }
    }

    /// A reference usable as `FileSystem::PARAMS`.
    pub const fn as_ref(&'static self) -> TableRef {
        TableRef {
            raw: (&raw const self.specs).cast(),
            specs: &self.specs,
        }
    }
}

/// A reference to a [`Table`] of any size.
///
/// # Invariants
///
/// `raw` points to `specs` followed by [`Spec::END`], in static memory.
pub struct TableRef {
    raw: *const bindings::fs_parameter_spec,
    specs: &'static [Spec],
}

// SAFETY: Only refers to immutable static data.
unsafe impl Sync for TableRef {}
// SAFETY: As above.
unsafe impl Send for TableRef {}

impl TableRef {
    /// The raw table for `file_system_type::parameters`.
    pub(crate) const fn as_raw(&self) -> *const bindings::fs_parameter_spec {
        self.raw
    }
}

/// The values of an enumerated option: `N` values and the terminating
/// entry, as one array.
#[repr(C)]
pub struct Constants<const N: usize> {
    values: [Constant; N],
    end: Constant,
}

impl<const N: usize> Constants<N> {
    /// The table of `values`.
    pub const fn new(values: [Constant; N]) -> Self {
        Self {
            values,
            end: Constant::END,
        }
    }
}

/// A parsed option value.
#[derive(Clone, Copy)]
pub enum Value {
    /// A flag, `true` if given as "noNAME".
    Flag(bool),
    /// The value of an enumerated option.
    Enum(i32),
    /// The user id ([`Spec::uid`]) or group id ([`Spec::gid`]) given, as
    /// the kernel's id (`kuid_t`, `kgid_t`): `fs_parse` maps it through the
    /// mount's user namespace and refuses one without a mapping.
    Id(u32),
}

/// Parses one option with `fs_parse`; unknown options are refused with a
/// message naming them ("Unknown parameter").
///
/// # Safety
///
/// `fc` and `param` must be live for the call.
pub(crate) unsafe fn parse(
    fc: *mut bindings::fs_context,
    table: &TableRef,
    param: *mut bindings::fs_parameter,
) -> Result<(u8, Value)> {
    let mut result = bindings::fs_parse_result::default();
    // SAFETY: `fc` and `param` are live per the safety contract; the table is static and
    // terminated by its invariant.
    let opt: c_int =
        unsafe { bindings::__fs_parse(&mut (*fc).log, table.as_raw(), param, &mut result) };
    if opt < 0 {
        return Err(Error::from_errno(opt));
    }
    let opt = u8::try_from(opt)?;
    let kind = table
        .specs
        .iter()
        .find(|s| s.0.opt == opt)
        .map_or(Kind::Flag, Spec::kind);
    let value = match kind {
        Kind::Flag => Value::Flag(result.negated),
        // SAFETY: For enumerated options `fs_parse` stores the value in `uint_32`/`int_32`.
        Kind::Enum => Value::Enum(unsafe { *result.__bindgen_anon_1.int_32.as_ref() }),
        // SAFETY: `fs_param_is_uid` stores the id it parsed in `uid`, `fs_param_is_gid`
        // in `gid`: both a `u32` at the start of the union, which the parse of the number
        // (`uint_32`) wrote first in any case.
        Kind::Id => Value::Id(unsafe { result.__bindgen_anon_1.uid.as_ref().val }),
    };
    Ok((opt, value))
}
