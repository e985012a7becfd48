//! What a session may see: tables (from the caller's live grants), their
//! columns' classes, and the limits of a session.

use std::time::Duration;

use gongshu_domain::classification::SandboxClass;
use gongshu_domain::disclosure::Controls;

/// One column the caller may reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    /// Column name in the dataset.
    pub name: String,
    /// Its sandbox class (R2).
    pub class: SandboxClass,
}

/// One table of a session: a dataset's current versions, restricted to the
/// granted columns.
#[derive(Debug, Clone)]
pub struct TableSpec {
    /// SQL name (lower case).
    pub name: String,
    /// Vault dataset id (the catalog resource id).
    pub dataset_id: String,
    /// The versions that make up the current data, ascending.
    pub versions: Vec<u32>,
    /// Granted columns, in dataset order.
    pub columns: Vec<ColumnSpec>,
    /// The column that identifies a person (keyed pseudonym), used to count
    /// distinct persons per released cell; read even when not granted, but
    /// never referenceable by the caller unless granted. `None`: the table
    /// has no person identifier and rows are counted instead.
    pub entity: Option<String>,
    /// Holds sensitive personal information: the higher threshold applies.
    pub sensitive_domain: bool,
    /// Grant ids that cover the table (for the audit record).
    pub grants: Vec<String>,
}

impl TableSpec {
    /// Whether any granted column is not public: such a table may only be
    /// released in aggregate (R3.2).
    pub fn protected(&self) -> bool {
        self.columns.iter().any(|c| c.class != SandboxClass::Public) || self.entity.is_some()
    }

    /// The class of a granted column.
    pub fn class_of(&self, column: &str) -> Option<SandboxClass> {
        self.columns
            .iter()
            .find(|c| c.name == column)
            .map(|c| c.class)
    }
}

/// Limits on every session.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Memory the engine may use.
    pub memory_bytes: usize,
    /// Result rows at most.
    pub max_rows: usize,
    /// Wall-clock time at most.
    pub timeout: Duration,
    /// Engine parallelism.
    pub partitions: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 1 << 30,
            max_rows: 10_000,
            timeout: Duration::from_secs(60),
            partitions: std::thread::available_parallelism().map_or(2, usize::from),
        }
    }
}

/// Everything a session is built from.
#[derive(Debug, Clone, Default)]
pub struct SessionSpec {
    /// The tables.
    pub tables: Vec<TableSpec>,
    /// Limits.
    pub limits: Limits,
    /// Output controls.
    pub controls: Controls,
}
