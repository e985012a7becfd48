//! The `gongshu` binary: wiring only. Subcommands live in their own modules.

mod admin_cmd;
mod audit_cmd;
mod bench_cmd;
mod cli;
mod county;
mod dataset_cmd;
mod demo_audit;
mod demo_catalog;
mod demo_cmd;
mod demo_data;
mod demo_finance;
mod demo_governance;
mod demo_products;
mod demo_sandbox;
mod demo_sources;
mod demo_summary;
mod demo_units;
mod runtime;
mod serve_cmd;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    runtime::init_tracing();
    let result = match args.command {
        cli::Command::Audit(cmd) => audit_cmd::run(cmd).map_err(|e| e.to_string()),
        cli::Command::Serve(a) => runtime::block_on(serve_cmd::run(a)),
        cli::Command::Admin(cli::AdminCommand::Bootstrap(a)) => {
            runtime::block_on(admin_cmd::bootstrap(a))
        }
        cli::Command::Demo(a) => runtime::block_on(demo_cmd::run(a)),
        cli::Command::Bench(cli::BenchCommand::Products(a)) => {
            runtime::block_on(bench_cmd::products(a))
        }
        cli::Command::Dataset(cli::DatasetCommand::Load(a)) => {
            runtime::block_on(dataset_cmd::run(a))
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误：{e}");
            std::process::ExitCode::FAILURE
        }
    }
}
