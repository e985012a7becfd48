//! gongshu-domain: the rules of the county's public data authorized operation
//! (公共数据资源授权运营) as pure types and functions.
//!
//! This crate owns value types (identifiers, credit codes, ID-card numbers,
//! names, money), the parties and roles (`OrgKind`, `Role`, `Sector`) and the
//! official working-day calendar. It must not do IO, spawn tasks or depend on
//! a database, web or query crate; the architecture guard in `gongshu-policy`
//! checks that from `Cargo.lock`.
#![deny(clippy::float_arithmetic)]
#![warn(missing_docs)]

pub mod accounting;
pub mod agreement;
pub mod appeal;
pub mod calendar;
pub mod catalog;
pub mod classification;
pub mod credit_code;
pub mod data_import;
pub mod dataset;
pub mod deadline;
pub mod disclosure;
pub mod egress;
pub mod error;
pub mod evaluation;
pub mod ids;
pub mod inspection;
pub mod money;
pub mod org;
pub mod person;
pub mod pricing;
pub mod product;
pub mod review;
pub mod scenario;
pub mod selection;
pub mod termination;
pub mod text;
pub mod use_application;

pub use calendar::{CalendarError, CalendarLoadError, WorkingDayCalendar};
pub use credit_code::{CreditCode, CreditCodeError};
pub use error::DomainError;
pub use ids::{ApiKeyId, DatasetId, IdError, OrgId, UserId};
pub use money::{Money, MoneyError};
pub use org::{CodeError, OrgKind, Role, Sector};
pub use person::{MobileNumber, MobileNumberError, ResidentIdNumber, ResidentIdNumberError};
pub use text::{OrgName, OrgNameError, Username, UsernameError};
