//! Wufei (无废): a REST backend for an industrial solid-waste exchange.

#[macro_use]
mod macros;

pub mod config;
pub mod db;
pub mod domain;
pub mod email;
pub mod error;
pub mod http;
pub mod pages;
pub mod service;
pub mod startup;
pub mod telemetry;
