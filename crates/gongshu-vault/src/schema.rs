//! The caller's typed schema for a dataset.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use serde::{Deserialize, Serialize};

use crate::VaultError;

/// The type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// UTF-8 text (Arrow `Utf8`).
    String,
    /// 64-bit signed integer (Arrow `Int64`); CSV text in base 10.
    Int64,
    /// Calendar date (Arrow `Date32`); CSV text `YYYY-MM-DD`.
    Date,
    /// Boolean (Arrow `Boolean`); CSV text `true`/`false`/`1`/`0` (any case).
    Boolean,
}

impl ColumnType {
    fn arrow(self) -> DataType {
        match self {
            Self::String => DataType::Utf8,
            Self::Int64 => DataType::Int64,
            Self::Date => DataType::Date32,
            Self::Boolean => DataType::Boolean,
        }
    }
}

/// One column of a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDef {
    /// Column name; must equal the CSV header field.
    pub name: String,
    /// Column type.
    #[serde(rename = "type")]
    pub ty: ColumnType,
    /// Whether an empty CSV field (NULL) is allowed.
    pub nullable: bool,
    /// Whether values are replaced by keyed pseudonyms at ingestion
    /// (direct identifiers; a `String` column).
    #[serde(default)]
    pub pseudonymised: bool,
}

impl ColumnDef {
    /// A nullable column.
    pub fn new(name: impl Into<String>, ty: ColumnType) -> Self {
        Self {
            name: name.into(),
            ty,
            nullable: true,
            pseudonymised: false,
        }
    }

    /// The same column, stored as keyed pseudonyms.
    #[must_use]
    pub fn pseudonymised(mut self) -> Self {
        self.pseudonymised = true;
        self
    }

    /// The same column, but NULL (an empty field) is rejected.
    #[must_use]
    pub fn required(mut self) -> Self {
        self.nullable = false;
        self
    }
}

/// A dataset's schema: ordered, uniquely named, typed columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetSchema {
    columns: Vec<ColumnDef>,
}

impl DatasetSchema {
    /// Checks and builds a schema.
    ///
    /// # Errors
    /// [`VaultError::InvalidSchema`] when empty, a name is empty, or names repeat.
    pub fn new(columns: Vec<ColumnDef>) -> Result<Self, VaultError> {
        if columns.is_empty() {
            return Err(VaultError::InvalidSchema("no columns".into()));
        }
        let mut seen = HashSet::new();
        for c in &columns {
            if c.name.trim().is_empty() {
                return Err(VaultError::InvalidSchema("empty column name".into()));
            }
            if c.pseudonymised && c.ty != ColumnType::String {
                return Err(VaultError::InvalidSchema(format!(
                    "pseudonymised column {:?} must be a string column",
                    c.name
                )));
            }
            if !seen.insert(c.name.as_str()) {
                return Err(VaultError::InvalidSchema(format!(
                    "duplicate column {:?}",
                    c.name
                )));
            }
        }
        Ok(Self { columns })
    }

    /// The columns in order.
    pub fn columns(&self) -> &[ColumnDef] {
        &self.columns
    }

    /// The equivalent Arrow schema.
    pub fn to_arrow(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| Field::new(&c.name, c.ty.arrow(), c.nullable))
                .collect::<Vec<_>>(),
        ))
    }
}
