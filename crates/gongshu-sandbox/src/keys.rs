//! The engine's key lookup: a per-session map from the encrypted files the
//! session may read to their decryption properties. A file not in the map
//! has no key, so the engine cannot read it (fail closed).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::DataFusionError;
use datafusion::config::EncryptionFactoryOptions;
use datafusion::execution::parquet_encryption::EncryptionFactory;
use datafusion::object_store::path::Path;
use datafusion::parquet::encryption::decrypt::FileDecryptionProperties;
use datafusion::parquet::encryption::encrypt::FileEncryptionProperties;

/// Id under which the factory is registered in a session's runtime.
pub(crate) const FACTORY_ID: &str = "gongshu-vault";

#[derive(Default)]
pub(crate) struct SessionKeys {
    files: HashMap<String, Arc<FileDecryptionProperties>>,
}

// Keys never reach logs: Debug shows only how many files.
impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SessionKeys({} files)", self.files.len())
    }
}

/// Object-store paths are absolute paths without the leading slash.
pub(crate) fn store_key(path: &std::path::Path) -> String {
    path.to_string_lossy().trim_start_matches('/').to_owned()
}

impl SessionKeys {
    pub(crate) fn insert(&mut self, path: &std::path::Path, props: Arc<FileDecryptionProperties>) {
        self.files.insert(store_key(path), props);
    }
}

#[async_trait]
impl EncryptionFactory for SessionKeys {
    async fn get_file_encryption_properties(
        &self,
        _config: &EncryptionFactoryOptions,
        _schema: &SchemaRef,
        _file_path: &Path,
    ) -> datafusion::common::Result<Option<Arc<FileEncryptionProperties>>> {
        Err(DataFusionError::Plan("沙箱不允许写出文件".into()))
    }

    async fn get_file_decryption_properties(
        &self,
        _config: &EncryptionFactoryOptions,
        file_path: &Path,
    ) -> datafusion::common::Result<Option<Arc<FileDecryptionProperties>>> {
        self.files
            .get(file_path.as_ref().trim_start_matches('/'))
            .cloned()
            .map(Some)
            .ok_or_else(|| DataFusionError::Plan("该文件不在本次会话的授权范围内".into()))
    }
}
