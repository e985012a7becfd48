//! Loads: encodings, modes, pseudonyms, malformed input, races, Parquet.

use axum::http::Method;
use serde_json::json;

use super::*;
use crate::support::{Auth, TestApp};

crate::on_both_backends!(
    provider_loads_gb18030_appends_and_replaces_with_pseudonymised_ids,
    untyped_or_unclassified_columns_refuse_the_load,
    malformed_rows_are_named_by_line_and_store_nothing,
    a_replace_racing_an_append_never_mixes_states,
    parquet_bodies_load_from_memory_and_garbage_is_refused,
);

async fn provider_loads_gb18030_appends_and_replaces_with_pseudonymised_ids(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let id = resource(&t, &prov, true).await;

    let gb = encoding_rs::GB18030.encode(&csv_rows(40, 0)).0.into_owned();
    let r = load(&t, &prov, &id, "", gb).await;
    r.expect(201);
    let v = r.json();
    assert_eq!(v["version"], 1);
    assert_eq!(v["encoding"], "gb18030");
    assert_eq!(v["rows_loaded"], 40);
    assert_eq!(v["quality"]["completeness_permille"], 1000);
    assert_eq!(v["quality"]["validity_permille"], 1000);
    assert_eq!(v["quality"]["columns"][0]["distinct"], 40);
    assert_eq!(
        v["quality"]["columns"][1]["distinct"], 2,
        "城关镇 and 南屯镇, decoded"
    );

    let r = load(
        &t,
        &prov,
        &id,
        "?mode=append&encoding=utf-8",
        csv_rows(10, 40).into_bytes(),
    )
    .await;
    r.expect(201);
    assert_eq!(r.json()["base_version"], 1);
    let d = dataset(&t, &prov, &id).await;
    d.expect(200);
    let d = d.json();
    assert_eq!(d["current_parts"], json!([1, 2]));
    assert_eq!(d["current_rows"], 50);
    assert_eq!(d["timeliness"]["late"], false);

    let r = load(&t, &prov, &id, "?mode=replace", csv_rows(5, 0).into_bytes()).await;
    r.expect(201);
    let d = dataset(&t, &prov, &id).await.json();
    assert_eq!(d["current_parts"], json!([3]));
    assert_eq!(d["current_rows"], 5);
    assert_eq!(d["versions"].as_array().unwrap().len(), 3);

    // Raw identifiers are nowhere: not in the vault, not in the audit log.
    assert!(!files_contain(t.data_dir.path(), RAW_ACCOUNT.as_bytes()));
    // The stored pseudonym is the vault's keyed pseudonym of the raw value.
    let vault = t.app.vault().unwrap();
    let batch = vault.read_batches(&id, 3).unwrap().next().unwrap().unwrap();
    let ids = batch
        .column(0)
        .as_any()
        .downcast_ref::<arrow::array::StringArray>()
        .unwrap();
    assert_eq!(
        ids.value(0),
        vault.pseudonym(&format!("{RAW_ACCOUNT}0")).unwrap()
    );

    let loads = t.audit_of("dataset.version_loaded").await;
    assert_eq!(loads.len(), 3);
    assert_eq!(loads[0].payload["details"]["rows"], 40);
    assert_eq!(loads[1].payload["details"]["mode"], "append");
    t.assert_audit_log_verifies().await;
}

async fn untyped_or_unclassified_columns_refuse_the_load(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let id = resource(&t, &prov, false).await;
    let e = load(&t, &prov, &id, "", csv_rows(3, 0).into_bytes())
        .await
        .error(409, "dataset.columns_unclassified");
    assert!(e["message"].as_str().unwrap().contains("account_no"));
    let refused = t.audit_of("dataset.load_refused").await;
    assert_eq!(refused.len(), 1);
    assert_eq!(
        refused[0].payload["details"]["code"],
        "dataset.columns_unclassified"
    );
    // Bad options are named.
    let typed = resource(&t, &prov, true).await;
    let e = load(&t, &prov, &typed, "?mode=merge&encoding=latin1", Vec::new())
        .await
        .error(422, "validation_failed");
    let fields: Vec<&str> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["mode", "encoding"]);
    load(&t, &prov, &typed, "?max_bad_rows=many", Vec::new())
        .await
        .error(422, "validation_failed");
    // Appending needs a first version.
    load(
        &t,
        &prov,
        &typed,
        "?mode=append",
        csv_rows(3, 0).into_bytes(),
    )
    .await
    .error(409, "dataset.append_without_base");
    t.assert_audit_log_verifies().await;
}

async fn malformed_rows_are_named_by_line_and_store_nothing(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let id = resource(&t, &prov, true).await;
    let mut bad = csv_rows(3, 0);
    bad.push_str(",城关镇,5,2026-02-01\n"); // line 5: empty required account
    bad.push_str(&format!("{RAW_ACCOUNT}x,城关镇,五,2026-02-01\n")); // line 6: not an integer
    let e = load(&t, &prov, &id, "", bad.clone().into_bytes())
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["field"], "line 5 column 1 (account_no)");
    assert!(
        e["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("第 5 行")
    );
    let e = load(&t, &prov, &id, "?max_bad_rows=1", bad.clone().into_bytes())
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "dataset.too_many_bad_rows");
    assert_eq!(e["fields"].as_array().unwrap().len(), 3);
    // The header must match the catalog.
    let e = load(
        &t,
        &prov,
        &id,
        "",
        b"account,township,volume_m3,reading_date\n".to_vec(),
    )
    .await
    .error(422, "validation_failed");
    assert!(
        e["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("account_no")
    );
    // Not GB18030 either.
    let mut garbage = b"account_no,township,volume_m3,reading_date\nA1,".to_vec();
    garbage.extend_from_slice(&[0x81, 0x20]);
    let e = load(&t, &prov, &id, "?encoding=gb18030", garbage)
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "dataset.encoding_mismatch");
    let d = dataset(&t, &prov, &id).await.json();
    assert_eq!(d["versions"], json!([]), "no load was committed");
    assert!(!files_contain(t.data_dir.path(), RAW_ACCOUNT.as_bytes()));
    // Within the limit: committed, rejected rows counted and alerted.
    let r = load(&t, &prov, &id, "?max_bad_rows=2", bad.into_bytes()).await;
    r.expect(201);
    let v = r.json();
    assert_eq!(
        (v["rows_loaded"].as_i64(), v["rows_rejected"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(v["quality"]["alerts"][0]["dimension"], "conformity");
    t.assert_audit_log_verifies().await;
}

async fn a_replace_racing_an_append_never_mixes_states(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let id = resource(&t, &prov, true).await;
    load(&t, &prov, &id, "", csv_rows(10, 0).into_bytes())
        .await
        .expect(201);
    for _ in 0..3 {
        let replace = load(
            &t,
            &prov,
            &id,
            "?mode=replace",
            csv_rows(5, 100).into_bytes(),
        );
        let append = load(
            &t,
            &prov,
            &id,
            "?mode=append",
            csv_rows(3, 200).into_bytes(),
        );
        let (r, a) = tokio::join!(replace, append);
        r.expect(201);
        a.expect(201);
        let d = dataset(&t, &prov, &id).await.json();
        let rows = d["current_rows"].as_i64().unwrap();
        // Append after the replace: 5 + 3; replace last: 5. Never a mix
        // with the older state (10 + …).
        assert!(rows == 8 || rows == 5, "{d}");
    }
    t.assert_audit_log_verifies().await;
}

fn parquet_bytes(n: usize) -> Vec<u8> {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Date32Array, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    let schema = Arc::new(Schema::new(vec![
        Field::new("account_no", DataType::Utf8, false),
        Field::new("township", DataType::Utf8, true),
        Field::new("volume_m3", DataType::Int64, true),
        Field::new("reading_date", DataType::Date32, true),
    ]));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            (0..n).map(|i| format!("{RAW_ACCOUNT}{i}")),
        )),
        Arc::new(StringArray::from_iter(
            (0..n).map(|i| (i % 2 == 0).then_some("南屯镇")),
        )),
        Arc::new(Int64Array::from_iter_values((0..n).map(|i| i as i64))),
        Arc::new(Date32Array::from_iter_values((0..n).map(|_| 20_500))),
    ];
    let batch = arrow::record_batch::RecordBatch::try_new(schema.clone(), cols).unwrap();
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    out
}

async fn parquet_bodies_load_from_memory_and_garbage_is_refused(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let id = resource(&t, &prov, true).await;
    let send = |body: Vec<u8>| {
        let (t, prov, id) = (&t, &prov, &id);
        async move {
            t.send(
                Method::POST,
                &format!("/api/v1/catalog/resources/{id}/versions"),
                Auth::Cookie(prov),
                Some(("application/vnd.apache.parquet", body)),
            )
            .await
        }
    };
    let r = send(parquet_bytes(300)).await;
    r.expect(201);
    let v = r.json();
    assert_eq!(v["rows_loaded"], 300);
    assert_eq!(v["quality"]["columns"][1]["nulls"], 150);
    let e = send(b"PAR1 not really parquet".to_vec())
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "dataset.input_unreadable");
    let d = dataset(&t, &prov, &id).await.json();
    assert_eq!(d["versions"].as_array().unwrap().len(), 1);
    assert!(!files_contain(t.data_dir.path(), RAW_ACCOUNT.as_bytes()));
    t.assert_audit_log_verifies().await;
}
