//! Owns reading GitHub's paginated lists, one way for every list: pages are asked for by number
//! (`per_page` and `page`), each call states its own cap on pages, and the `Link` header is read
//! only for whether a `rel="next"` page exists, never followed. Following its URL breaks on
//! GitHub Enterprise Server: octocrab sends the token only to its base host, a proxy may name
//! another host, and a base path (`/api/v3`) would be doubled. GitHub documents the `page` and
//! `per_page` parameters for every list read here
//! (https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api).

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use super::GitHub;
use super::request::{GitHubError, Method, Reply, send};

/// GitHub's largest `per_page` for the lists read here ("The number of results per page (max
/// 100)" in the REST reference of check runs, statuses, jobs, comments and deployments).
pub const MAX_PER_PAGE: u32 = 100;

/// Takes a page's items out of its reply (a bare array, or a field of an object).
pub(super) type Decode<T> = fn(&Reply, &str) -> Result<Vec<T>, GitHubError>;

/// A list read page by page: [`Pages::next`] gives one page at a time, so a caller that finds
/// what it wants stops early, and [`Pages::all`] reads to the end or the cap.
pub struct Pages<'a, T> {
    gh: &'a GitHub,
    /// The list's route with its own query, without `per_page` and `page`.
    route: String,
    per_page: u32,
    max_pages: u32,
    /// The page [`Pages::next`] asks for.
    page: u32,
    /// GitHub named a next page (or none was read yet).
    more: bool,
    decode: Decode<T>,
    _items: PhantomData<T>,
}

/// A whole list as far as it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing<T> {
    pub items: Vec<T>,
    /// False when GitHub had more pages than the cap allowed reading.
    pub complete: bool,
    /// The last route read (for error messages).
    pub route: String,
}

impl<'a, T: DeserializeOwned> Pages<'a, T> {
    /// The list at `route` (which may carry its own query), `per_page` items a page (at most
    /// [`MAX_PER_PAGE`]), at most `max_pages` pages.
    pub(super) fn new(
        gh: &'a GitHub,
        route: String,
        per_page: u32,
        max_pages: u32,
        decode: Decode<T>,
    ) -> Self {
        Pages {
            gh,
            route,
            per_page: per_page.clamp(1, MAX_PER_PAGE),
            max_pages,
            page: 1,
            more: true,
            decode,
            _items: PhantomData,
        }
    }

    /// The route of page `page`.
    fn route_of(&self, page: u32) -> String {
        let sep = if self.route.contains('?') { '&' } else { '?' };
        format!("{}{sep}per_page={}&page={page}", self.route, self.per_page)
    }

    /// The next page's items; `None` once the list ended or the cap was reached (then
    /// [`Pages::cut_short`] tells which).
    pub async fn next(&mut self) -> Result<Option<Vec<T>>, GitHubError> {
        if !self.more || self.page > self.max_pages {
            return Ok(None);
        }
        let route = self.route_of(self.page);
        let reply = send(self.gh, Method::Get, &route, None, |_| false).await?;
        let items = (self.decode)(&reply, &route)?;
        // An empty page ends the list whatever the header says: a broken `Link` cannot loop.
        self.more = reply.has_next_page() && !items.is_empty();
        self.page += 1;
        Ok(Some(items))
    }

    /// True when GitHub named a page past the cap: the list read is incomplete.
    pub fn cut_short(&self) -> bool {
        self.more && self.page > self.max_pages
    }

    /// Every page up to the cap.
    pub async fn all(mut self) -> Result<Listing<T>, GitHubError> {
        let mut items = Vec::new();
        while let Some(page) = self.next().await? {
            items.extend(page);
        }
        Ok(Listing {
            items,
            complete: !self.cut_short(),
            route: self.route_of(self.page.saturating_sub(1).max(1)),
        })
    }
}

/// [`Decode`] for a list answered as a bare JSON array.
pub(super) fn array<T: DeserializeOwned>(
    reply: &Reply,
    route: &str,
) -> Result<Vec<T>, GitHubError> {
    reply.json(route)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::timing::Timing;

    #[derive(serde::Deserialize)]
    struct Item {
        id: u64,
    }

    /// 250 comments on pull request 5 of a fake GitHub, and a client for it.
    async fn fake() -> (fakes::Server, fakes::github::GitHubState, GitHub) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let state = fakes::github::GitHubState::default();
        for i in 0..250 {
            let mut w = state.world.lock().unwrap();
            w.comments
                .seed(5, "octocat", "User", &format!("comment {i}"));
        }
        let server = fakes::Server::start(fakes::github::router(state.clone())).await;
        let t = Timing::from_env_value(Some("0.001"));
        let gh = GitHub::new(&server.url(), &Secret::new("t"), "o/r", t).unwrap();
        (server, state, gh)
    }

    #[tokio::test]
    async fn a_list_is_read_by_page_number_up_to_its_cap() {
        let (_server, state, gh) = fake().await;
        let route = || gh.route("/issues/5/comments");
        let whole = Pages::<Item>::new(&gh, route(), 100, 3, array)
            .all()
            .await
            .unwrap();
        assert_eq!(whole.items.len(), 250);
        assert!(whole.complete);
        let ids: std::collections::HashSet<u64> = whole.items.iter().map(|c| c.id).collect();
        assert_eq!(ids.len(), 250, "every page is a different page");
        let capped = Pages::<Item>::new(&gh, route(), 100, 2, array)
            .all()
            .await
            .unwrap();
        assert_eq!(capped.items.len(), 200);
        assert!(!capped.complete, "a third page was named and not read");
        let queries: Vec<String> = state
            .recorder
            .all()
            .into_iter()
            .filter_map(|r| r.query)
            .collect();
        assert_eq!(
            queries,
            [1, 2, 3, 1, 2].map(|p| format!("per_page=100&page={p}")),
        );
    }

    #[tokio::test]
    async fn an_exact_last_page_ends_the_list_without_another_request() {
        let (_server, state, gh) = fake().await;
        let route = gh.route("/issues/5/comments");
        // 250 = 5 pages of 50: the fifth names no next page.
        let whole = Pages::<Item>::new(&gh, route, 50, 10, array)
            .all()
            .await
            .unwrap();
        assert_eq!(whole.items.len(), 250);
        assert!(whole.complete);
        assert_eq!(state.recorder.count(), 5);
    }
}
