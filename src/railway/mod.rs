//! Owns every call to Railway: the GraphQL client, its operations (one `.graphql` file each,
//! under `ops/`), and the resolution of project, environment and services.
pub mod auth;
pub mod subscription;
