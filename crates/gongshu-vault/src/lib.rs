//! gongshu-vault: the trusted space's storage (可信数据空间存储): datasets as
//! encrypted, versioned files with a key hierarchy and crypto-shredding.
#![warn(missing_docs)]
