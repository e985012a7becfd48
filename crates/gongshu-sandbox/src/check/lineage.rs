//! Field lineage: which granted columns a field derives from.

use std::collections::BTreeSet;

use gongshu_domain::classification::SandboxClass;

/// A granted column: table name, column name, class.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Src {
    pub table: String,
    pub column: String,
    pub class: SandboxClass,
}

impl Src {
    pub(crate) fn qualified(&self) -> String {
        format!("{}.{}", self.table, self.column)
    }
}

/// The lineage of one field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Lin {
    /// Columns it derives from.
    pub sources: BTreeSet<Src>,
    /// Produced by an aggregation (a group key or an aggregate value).
    pub aggregated: bool,
    /// A granted column passed through unchanged (casts aside).
    pub raw: bool,
    /// The output of a COUNT passed through unchanged: rounded on release.
    pub count: bool,
    /// A group key passed through unchanged: kept visible on suppression.
    pub key: bool,
    /// The person column of a table, present for the guard but not
    /// granted to the caller: any reference is refused (R1.3).
    pub ungranted: bool,
}

impl Lin {
    /// The most restrictive class among the sources (public when none).
    pub(crate) fn class(&self) -> SandboxClass {
        let rank = |c: SandboxClass| match c {
            SandboxClass::DirectId => 3,
            SandboxClass::Sensitive => 2,
            SandboxClass::QuasiId => 1,
            SandboxClass::Public => 0,
        };
        self.sources
            .iter()
            .map(|s| s.class)
            .max_by_key(|c| rank(*c))
            .unwrap_or(SandboxClass::Public)
    }

    /// The source of the most restrictive class, for messages.
    pub(crate) fn worst(&self) -> Option<&Src> {
        let class = self.class();
        self.sources.iter().find(|s| s.class == class)
    }

    /// Merges operands into a derived (no longer raw) value.
    pub(crate) fn derived(parts: impl IntoIterator<Item = Self>) -> Self {
        let mut out = Self {
            aggregated: true,
            ..Self::default()
        };
        let mut any = false;
        for p in parts {
            any = true;
            out.aggregated &= p.aggregated || p.sources.is_empty();
            out.sources.extend(p.sources);
        }
        if !any {
            out.aggregated = true;
        }
        out
    }
}
