//! A small synthetic county in a fresh vault, and the sessions of three
//! callers: the operator (every column of the bills granted), a bank
//! (only generalised columns and amounts of the power bills) and a party
//! with no grant on protected data (the public registry only).

use std::sync::Arc;

use gongshu_domain::classification::SandboxClass;
use gongshu_sandbox::{ColumnSpec, SessionSpec, TableSpec};
use gongshu_vault::{ColumnDef, ColumnType, DatasetSchema, Vault};

/// Persons per township: A is large, B, D and E pass the threshold, C does
/// not; the first person of E has a January bill only.
pub const TOWNSHIPS: [(&str, usize); 5] = [("A", 40), ("B", 12), ("C", 3), ("D", 15), ("E", 20)];

pub struct County {
    pub _dir: tempfile::TempDir,
    pub vault: Arc<Vault>,
}

impl County {
    /// A sandbox that remembers what it released (R4.6).
    #[allow(dead_code, reason = "not every test file queries")]
    pub fn sandbox(&self) -> gongshu_sandbox::Sandbox {
        let history = gongshu_sandbox::History::open(self._dir.path().join("history.log")).unwrap();
        gongshu_sandbox::Sandbox::new(self.vault.clone()).with_history(Arc::new(history))
    }
}

fn power_csv() -> String {
    let mut out = String::from(
        "account_no,holder_id_number,township,customer_type,bill_month,amount_fen,paid_on_time\n",
    );
    let mut i = 0usize;
    for (town, persons) in TOWNSHIPS {
        for _ in 0..persons {
            let kind = if i.is_multiple_of(3) {
                "工商业"
            } else {
                "居民"
            };
            for month in ["2025-01", "2025-02"] {
                if i == 70 && month == "2025-02" {
                    continue;
                }
                let m = if month.ends_with('1') { 1 } else { 2 };
                // The first person of D dominates its township's amounts.
                let amount = if i == 55 {
                    5_000_000
                } else {
                    1_000 + i * 10 + m
                };
                let paid = !i.is_multiple_of(4);
                out.push_str(&format!(
                    "ACC{i:05},1101011990{i:08},{town},{kind},{month},{amount},{paid}\n"
                ));
            }
            i += 1;
        }
    }
    out
}

fn water_csv() -> String {
    // The first 30 persons of township A also have water bills.
    let mut out = String::from("holder_id_number,water_m3\n");
    for i in 0..30usize {
        out.push_str(&format!("1101011990{i:08},{}\n", 5 + i % 7));
    }
    out
}

fn registry_csv() -> String {
    let mut out = String::from("credit_code,industry,township\n");
    for (i, ind) in ["制造业", "零售业", "制造业", "农业"].iter().enumerate() {
        out.push_str(&format!("91130630MA0{i:07},{ind},A\n"));
    }
    out
}

impl County {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path().join("vault")).unwrap();
        let power = DatasetSchema::new(vec![
            ColumnDef::new("account_no", ColumnType::String).pseudonymised(),
            ColumnDef::new("holder_id_number", ColumnType::String).pseudonymised(),
            ColumnDef::new("township", ColumnType::String),
            ColumnDef::new("customer_type", ColumnType::String),
            ColumnDef::new("bill_month", ColumnType::String),
            ColumnDef::new("amount_fen", ColumnType::Int64),
            ColumnDef::new("paid_on_time", ColumnType::Boolean),
        ])
        .unwrap();
        vault
            .ingest_csv("power", power_csv().as_bytes(), &power)
            .unwrap();
        let water = DatasetSchema::new(vec![
            ColumnDef::new("holder_id_number", ColumnType::String).pseudonymised(),
            ColumnDef::new("water_m3", ColumnType::Int64),
        ])
        .unwrap();
        vault
            .ingest_csv("water", water_csv().as_bytes(), &water)
            .unwrap();
        let registry = DatasetSchema::new(vec![
            ColumnDef::new("credit_code", ColumnType::String),
            ColumnDef::new("industry", ColumnType::String),
            ColumnDef::new("township", ColumnType::String),
        ])
        .unwrap();
        vault
            .ingest_csv("registry", registry_csv().as_bytes(), &registry)
            .unwrap();
        Self {
            _dir: dir,
            vault: Arc::new(vault),
        }
    }
}

fn cols(list: &[(&str, SandboxClass)]) -> Vec<ColumnSpec> {
    list.iter()
        .map(|(n, c)| ColumnSpec {
            name: (*n).into(),
            class: *c,
        })
        .collect()
}

fn power(granted: &[(&str, SandboxClass)]) -> TableSpec {
    TableSpec {
        name: "power_bill".into(),
        dataset_id: "power".into(),
        versions: vec![1],
        columns: cols(granted),
        entity: Some("holder_id_number".into()),
        sensitive_domain: false,
        grants: vec!["g-power".into()],
    }
}

fn registry() -> TableSpec {
    use SandboxClass::Public;
    TableSpec {
        name: "enterprise_registry".into(),
        dataset_id: "registry".into(),
        versions: vec![1],
        columns: cols(&[
            ("credit_code", Public),
            ("industry", Public),
            ("township", Public),
        ]),
        entity: None,
        sensitive_domain: false,
        grants: vec!["g-registry".into()],
    }
}

/// The session of a role: `operator`, `bank` or `public`.
pub fn session(role: &str) -> SessionSpec {
    use SandboxClass::{DirectId, Public, QuasiId, Sensitive};
    let all_power = power(&[
        ("account_no", DirectId),
        ("holder_id_number", DirectId),
        ("township", QuasiId),
        ("customer_type", Public),
        ("bill_month", QuasiId),
        ("amount_fen", Sensitive),
        ("paid_on_time", Sensitive),
    ]);
    let water = TableSpec {
        name: "water_bill".into(),
        dataset_id: "water".into(),
        versions: vec![1],
        columns: cols(&[("holder_id_number", DirectId), ("water_m3", Sensitive)]),
        entity: Some("holder_id_number".into()),
        sensitive_domain: false,
        grants: vec!["g-water".into()],
    };
    let tables = match role {
        "operator" => vec![all_power, water, registry()],
        "bank" => vec![
            power(&[
                ("township", QuasiId),
                ("customer_type", Public),
                ("bill_month", QuasiId),
                ("amount_fen", Sensitive),
            ]),
            registry(),
        ],
        _ => vec![registry()],
    };
    SessionSpec {
        tables,
        ..SessionSpec::default()
    }
}
