//! A fake of Railway's public API: GraphQL, the upload endpoint and the websocket subscriptions.
pub mod upload;
pub mod ws;
