//! The fake Railway's environments as previews use them: the project's environments with their
//! ephemeral flag (`ProjectEnvironments`), `environmentCreate` from a source environment (its
//! service instances, variables and a fresh, empty instance of each mounted volume; domains are
//! not copied; with `skipInitialDeploys` the copy has no deployment, without it every copied
//! service is deployed), `environmentDelete` (the environment and all it holds), and
//! `serviceDomainCreate` (a `*.up.railway.app` domain). Railway may list a new environment
//! before its copy is complete (railwayapp/cli PRs #663, #784, issue #923): by default each
//! environment created lists no service instance for its first read of them (`copy_reads`;
//! `EnvironmentServiceInstances`, `Project`, `ServiceInstance` each count). A deleted environment stays listed with
//! `deletedAt` set, as Railway may list it (its CLI filters those); whether its name may be taken
//! again at once is not public, so the fake refuses it (adversarial). A name already taken is refused as
//! Railway does ("An environment with that name already exists"); project tokens may not create
//! or delete environments.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use super::graphql::Caller;
use super::world::RailwayWorld;

/// What the fake knows of environments beyond their id and name.
#[derive(Clone, Debug, Default)]
pub struct EnvironmentsWorld {
    /// Ids of the ephemeral environments.
    pub ephemeral: HashSet<String>,
    /// (service id, environment id) → the id of its volume (a database's data).
    pub volumes: HashMap<(String, String), String>,
    /// Environments created so far (for fresh ids).
    pub created: u64,
    /// `true`: the next `environmentCreate` finds that another run created the environment just
    /// before it (it exists, ephemeral, copied from the same source), and is refused.
    pub lose_race: bool,
    /// Whether each create asked to skip the initial deploys (in order), as sent.
    pub skip_initial_deploys: Vec<Option<bool>>,
    /// The most environments one page of `Project.environments` holds (Railway's connections
    /// are paged: `first`/`after`, `pageInfo`); `None`: as many as `first` asks, all without it.
    pub page_size: Option<usize>,
    /// Environment id → how many more listings leave it out: Railway is still copying it after
    /// `environmentCreate`'s answer was lost.
    pub unlisted: HashMap<String, u32>,
    /// `Some(n)`: each environment created is left out of the next `n` listings.
    pub unlisted_after_create: Option<u32>,
    /// Deleted environments (id, name, deletedAt), still listed with `deletedAt` set.
    pub deleted: Vec<(String, String, String)>,
    /// `true`: `environmentCreate` is accepted and never answered (a copy that stalls).
    pub stall_create: bool,
    /// How many reads of a created environment's service instances find none yet (its copy
    /// still running); the standard world sets 1.
    pub copy_reads: u32,
    /// Environment id → reads of its instances left before they are listed.
    pub copying: HashMap<String, u32>,
}

/// True when `environment_id`'s copy is still running for this read of its instances (the
/// read is counted).
pub fn still_copying(world: &mut RailwayWorld, environment_id: &str) -> bool {
    let Some(left) = world.envs.copying.get_mut(environment_id) else {
        return false;
    };
    *left = left.saturating_sub(1);
    if *left == 0 {
        world.envs.copying.remove(environment_id);
    }
    true
}

fn errors(message: &str) -> Value {
    json!({ "data": null, "errors": [{ "message": message, "locations": [], "path": [] }] })
}

/// Answers the environment operations; `None` for any other operation.
pub(crate) fn handle(
    world: &mut RailwayWorld,
    who: &Caller,
    op: &str,
    vars: &Value,
) -> Option<Value> {
    let s = |k: &str| vars.get(k).and_then(Value::as_str).unwrap_or_default();
    let writes = matches!(op, "EnvironmentCreate" | "EnvironmentDelete");
    if writes && matches!(who, Caller::Project { .. }) {
        return Some(errors("Not Authorized"));
    }
    Some(match op {
        "ProjectEnvironments" if s("id") != world.project_id => errors("Project not found"),
        "ProjectEnvironments" => project_environments(world, vars),
        "EnvironmentCreate" => create(world, vars.get("input").unwrap_or(&Value::Null)),
        "EnvironmentDelete" => delete(world, s("id")),
        "EnvironmentServiceInstances" => service_instances(world, s("environmentId")),
        "ServiceDomainCreate" => domain(world, vars.get("input").unwrap_or(&Value::Null)),
        _ => return None,
    })
}

fn project_environments(world: &mut RailwayWorld, vars: &Value) -> Value {
    let mut listed: Vec<(String, String, Option<String>)> = world
        .environments
        .iter()
        .filter(|(id, _)| !world.envs.unlisted.contains_key(id))
        .map(|(id, name)| (id.clone(), name.clone(), None))
        .collect();
    for (id, name, at) in &world.envs.deleted {
        listed.push((id.clone(), name.clone(), Some(at.clone())));
    }
    for left in world.envs.unlisted.values_mut() {
        *left = left.saturating_sub(1);
    }
    world.envs.unlisted.retain(|_, left| *left > 0);
    // The cursor is the index after the page's last edge, as text.
    let start = vars
        .get("after")
        .and_then(Value::as_str)
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(0)
        .min(listed.len());
    let asked = vars
        .get("first")
        .and_then(Value::as_u64)
        .map_or(usize::MAX, |n| n as usize);
    let size = asked.min(world.envs.page_size.unwrap_or(usize::MAX));
    let end = start.saturating_add(size).min(listed.len());
    let environments: Vec<Value> = listed[start..end]
        .iter()
        .map(|(id, name, deleted_at)| json!({ "node": { "id": id, "name": name, "isEphemeral": world.envs.ephemeral.contains(id) || deleted_at.is_some(), "deletedAt": deleted_at } }))
        .collect();
    let services: Vec<Value> = world
        .services
        .iter()
        .map(|(id, name)| json!({ "node": { "id": id, "name": name } }))
        .collect();
    let page_info = json!({ "hasNextPage": end < listed.len(), "endCursor": end.to_string() });
    json!({ "data": { "project": {
        "id": world.project_id,
        "name": world.project_name,
        "environments": { "edges": environments, "pageInfo": page_info },
        "services": { "edges": services },
    } } })
}

fn service_instances(world: &mut RailwayWorld, environment_id: &str) -> Value {
    if !world
        .environments
        .iter()
        .any(|(id, _)| id == environment_id)
    {
        return errors("Environment not found");
    }
    let copying = still_copying(world, environment_id);
    let mut ids: Vec<&String> = world
        .instances
        .keys()
        .filter(|(_, e)| e == environment_id && !copying)
        .map(|(svc, _)| svc)
        .collect();
    ids.sort();
    let edges: Vec<Value> = ids
        .into_iter()
        .map(|id| json!({ "node": { "serviceId": id } }))
        .collect();
    json!({ "data": { "environment": { "serviceInstances": { "edges": edges } } } })
}

fn create(world: &mut RailwayWorld, input: &Value) -> Value {
    let s = |k: &str| input.get(k).and_then(Value::as_str).unwrap_or_default();
    let (name, source) = (s("name").to_string(), s("sourceEnvironmentId").to_string());
    if s("projectId") != world.project_id {
        return errors("Project not found");
    }
    if world.envs.lose_race {
        world.envs.lose_race = false;
        copy_environment(world, &name, &source, true);
    }
    if world.environments.iter().any(|(_, n)| *n == name)
        || world.envs.deleted.iter().any(|(_, n, _)| *n == name)
    {
        return errors("An environment with that name already exists");
    }
    if !source.is_empty() && !world.environments.iter().any(|(id, _)| *id == source) {
        return errors("Source environment not found");
    }
    world
        .envs
        .skip_initial_deploys
        .push(input.get("skipInitialDeploys").and_then(Value::as_bool));
    let ephemeral = input.get("ephemeral").and_then(Value::as_bool) == Some(true);
    let id = copy_environment(world, &name, &source, ephemeral);
    if input.get("skipInitialDeploys").and_then(Value::as_bool) != Some(true) {
        initial_deploys(world, &id);
    }
    if let Some(n) = world.envs.unlisted_after_create {
        world.envs.unlisted.insert(id.clone(), n);
    }
    if world.envs.copy_reads > 0 {
        let reads = world.envs.copy_reads;
        world.envs.copying.insert(id.clone(), reads);
    }
    json!({ "data": { "environmentCreate": { "id": id, "name": name, "isEphemeral": ephemeral } } })
}

/// Creates `name` with a copy of `source`'s instances (without domains), variables and volumes
/// (fresh ids); returns its id.
fn copy_environment(world: &mut RailwayWorld, name: &str, source: &str, ephemeral: bool) -> String {
    world.envs.created += 1;
    let id = format!("env-new-{}", world.envs.created);
    world.environments.push((id.clone(), name.to_string()));
    if ephemeral {
        world.envs.ephemeral.insert(id.clone());
    }
    let instances: Vec<_> = world
        .instances
        .iter()
        .filter(|((_, e), _)| e == source)
        .map(|((svc, _), i)| (svc.clone(), i.clone()))
        .collect();
    for (svc, mut instance) in instances {
        instance.custom_domains.clear();
        instance.service_domains.clear();
        // What a copy is "associated with" before its first deploy is not public: not the
        // branch's latest (adversarial; `serviceInstanceDeployV2` without a commit deploys it).
        if instance.repo.is_some() {
            instance.associated_commit = Some(super::world::STALE_COMMIT.to_string());
        }
        world.instances.insert((svc.clone(), id.clone()), instance);
        if world
            .envs
            .volumes
            .contains_key(&(svc.clone(), source.to_string()))
        {
            let volume = format!("vol-{svc}-{id}");
            world.envs.volumes.insert((svc, id.clone()), volume);
        }
    }
    // Every service's variables, and a fresh instance of each mounted volume (empty, no backups).
    let vars: Vec<_> = (world.variables.iter())
        .filter(|((_, e), _)| e == source)
        .map(|((svc, _), v)| (svc.clone(), v.clone()))
        .collect();
    for (svc, v) in vars {
        world.variables.insert((svc, id.clone()), v);
    }
    let volumes: Vec<_> = (world.volumes.iter())
        .filter(|v| v.environment_id == source)
        .cloned()
        .collect();
    for mut v in volumes {
        v.instance_id = format!("vi-{}-{id}", v.name);
        v.environment_id = id.clone();
        v.current_size_mb = 0.0;
        v.backups.clear();
        world.volumes.push(v);
    }
    id
}

/// Without `skipInitialDeploys`, Railway deploys every copied service from its own source (its
/// image, or the latest commit of its branch); with it, the copy has no deployment at all.
fn initial_deploys(world: &mut RailwayWorld, environment_id: &str) {
    let mut copied: Vec<(String, Option<String>)> = world
        .instances
        .iter()
        .filter(|((_, e), _)| e == environment_id)
        .map(|((svc, _), i)| (svc.clone(), i.image.clone()))
        .collect();
    copied.sort();
    for (svc, image) in copied {
        world.start_deployment(&svc, environment_id, json!({ "image": image }));
    }
}

fn delete(world: &mut RailwayWorld, id: &str) -> Value {
    if !world.environments.iter().any(|(e, _)| e == id) {
        return errors("Environment not found");
    }
    if let Some((_, name)) = world.environments.iter().find(|(e, _)| e == id) {
        let entry = (id.to_string(), name.clone(), super::faults::now_rfc3339());
        world.envs.deleted.push(entry);
    }
    world.environments.retain(|(e, _)| e != id);
    world.envs.ephemeral.remove(id);
    world.instances.retain(|(_, e), _| e != id);
    world.variables.retain(|(_, e), _| e != id);
    world.envs.volumes.retain(|(_, e), _| e != id);
    world.volumes.retain(|v| v.environment_id != id);
    world.deployments.retain(|d| d.environment_id != id);
    json!({ "data": { "environmentDelete": true } })
}

fn domain(world: &mut RailwayWorld, input: &Value) -> Value {
    let s = |k: &str| input.get(k).and_then(Value::as_str).unwrap_or_default();
    let (svc, env) = (s("serviceId").to_string(), s("environmentId").to_string());
    let env_name = world
        .environments
        .iter()
        .find(|(id, _)| *id == env)
        .map(|(_, n)| n.clone());
    let svc_name = world
        .services
        .iter()
        .find(|(id, _)| *id == svc)
        .map(|(_, n)| n.clone());
    let (Some(env_name), Some(svc_name)) = (env_name, svc_name) else {
        return errors("ServiceInstance not found");
    };
    let Some(instance) = world.instances.get_mut(&(svc.clone(), env.clone())) else {
        return errors("ServiceInstance not found");
    };
    let domain = format!("{svc_name}-{env_name}.up.railway.app");
    instance.service_domains.push(domain.clone());
    json!({ "data": { "serviceDomainCreate": { "id": format!("dom-{svc}-{env}"), "domain": domain } } })
}
