//! The fake Railway GraphQL endpoint (`POST /graphql/v2`): checks the token header like Railway
//! does ("Not Authorized" as a GraphQL error), answers each operation by its `operationName` from
//! the world, advances deployment status scripts on each read, and can answer 429s or lose the
//! answer to a processed request (`RailwayWorld::lose_answer`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::RailwayState;
use super::world::RailwayWorld;
use crate::Recorder;

/// Who a request's token says it is.
pub(crate) enum Caller {
    Project {
        project_id: String,
        environment_id: String,
    },
    Account,
}

pub(crate) fn caller(world: &RailwayWorld, headers: &HeaderMap) -> Option<Caller> {
    if let Some(t) = headers
        .get("project-access-token")
        .and_then(|v| v.to_str().ok())
    {
        let (p, e) = world.project_tokens.get(t)?;
        return Some(Caller::Project {
            project_id: p.clone(),
            environment_id: e.clone(),
        });
    }
    let bearer = headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    world
        .account_tokens
        .iter()
        .any(|t| t == bearer)
        .then_some(Caller::Account)
}

/// Log lines as Railway sends them, with distinct timestamps (one second apart).
pub(crate) fn log_lines(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .enumerate()
        .map(|(i, m)| {
            json!({
                "timestamp": format!("2026-11-22T08:{:02}:{:02}.000Z", (i / 60) % 60, i % 60),
                "message": m,
                "severity": "info",
            })
        })
        .collect()
}

/// `project { id name environments services }`, as both resolution queries select it.
fn project_json(world: &RailwayWorld) -> Value {
    let edges = |items: &Vec<(String, String)>| json!({ "edges": items.iter().map(|(id, name)| json!({ "node": { "id": id, "name": name } })).collect::<Vec<_>>() });
    json!({ "id": world.project_id, "name": world.project_name, "environments": edges(&world.environments), "services": edges(&world.services) })
}

/// An environment's `serviceInstances` connection (`ServiceInstanceFields`), in service order.
fn instances_json(world: &RailwayWorld, environment_id: &str) -> Value {
    let domains = |d: &Vec<String>| d.iter().map(|x| json!({ "domain": x })).collect::<Vec<_>>();
    let edges: Vec<Value> = world
        .services
        .iter()
        .filter_map(|(service_id, name)| {
            let i = world
                .instances
                .get(&(service_id.clone(), environment_id.to_string()))?;
            Some(json!({ "node": {
                "id": format!("si-{service_id}-{environment_id}"),
                "serviceId": service_id,
                "serviceName": name,
                "healthcheckPath": i.healthcheck_path,
                "rootDirectory": i.root_directory,
                "watchPatterns": i.watch_patterns,
                "preDeployCommand": i.pre_deploy_command,
                "startCommand": i.start_command,
                "source": { "image": i.image, "repo": i.repo },
                "latestDeployment": latest_json(world, service_id, environment_id),
                "domains": { "customDomains": domains(&i.custom_domains), "serviceDomains": domains(&i.service_domains) },
            } }))
        })
        .collect();
    json!({ "edges": edges })
}

/// A service instance's `latestDeployment`: its newest deployment in the environment (`null`
/// when it was never deployed there, as Railway answers for a copy made with
/// `skipInitialDeploys`).
fn latest_json(world: &RailwayWorld, service_id: &str, environment_id: &str) -> Value {
    world
        .deployments
        .iter()
        .filter(|d| d.service_id == service_id && d.environment_id == environment_id)
        .max_by_key(|d| d.seq)
        .map_or(Value::Null, |d| json!({ "id": d.id, "status": d.status }))
}

fn errors(message: &str) -> Value {
    json!({ "data": null, "errors": [{ "message": message, "locations": [], "path": [] }] })
}

pub async fn handle(
    State(state): State<RailwayState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state
        .recorder
        .push(Recorder::from_parts(&method, &uri, &headers, &body));
    let mut world = state.world.lock().unwrap_or_else(|e| e.into_inner());
    if world.rate_limit_next > 0 {
        world.rate_limit_next -= 1;
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "0")],
            "rate limited",
        )
            .into_response();
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "invalid JSON").into_response();
    };
    let Some(who) = caller(&world, &headers) else {
        return axum::Json(errors("Not Authorized")).into_response();
    };
    let op = request
        .get("operationName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if op == "EnvironmentCreate" && world.envs.stall_create {
        // Railway still copying the source: the answer's body never comes.
        let never = futures_util::stream::pending::<Result<Bytes, std::io::Error>>();
        return Response::new(axum::body::Body::from_stream(never));
    }
    if world.lose_answer.get(&op) == Some(&super::faults::LostAnswer::Unprocessed) {
        world.lose_answer.remove(&op);
        return super::faults::lost_response(super::faults::LostAnswer::Unprocessed);
    }
    let vars = request.get("variables").cloned().unwrap_or(Value::Null);
    let v = |k: &str| {
        vars.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let mut reply = match op.as_str() {
        "ProjectToken" => match &who {
            Caller::Project {
                project_id,
                environment_id,
            } => {
                let env_name = world
                    .environments
                    .iter()
                    .find(|(id, _)| id == environment_id)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default();
                json!({ "data": { "projectToken": {
                    "projectId": project_id,
                    "environmentId": environment_id,
                    "project": project_json(&world),
                    "environment": {
                        "id": environment_id,
                        "name": env_name,
                        "serviceInstances": instances_json(&world, environment_id),
                    },
                } } })
            }
            Caller::Account => errors("Project Token not found"),
        },
        "Project" => {
            if v("id") != world.project_id {
                errors("Project not found")
            } else {
                let mut project = project_json(&world);
                let ids: Vec<String> = world
                    .environments
                    .iter()
                    .map(|(id, _)| id.clone())
                    .collect();
                let copying: Vec<bool> = ids
                    .iter()
                    .map(|id| super::environments::still_copying(&mut world, id))
                    .collect();
                let environments: Vec<Value> = world
                    .environments
                    .iter()
                    .zip(copying)
                    .map(|((id, name), copying)| {
                        let instances = if copying {
                            json!({ "edges": [] })
                        } else {
                            instances_json(&world, id)
                        };
                        json!({ "node": { "id": id, "name": name, "serviceInstances": instances } })
                    })
                    .collect();
                project["environments"] = json!({ "edges": environments });
                json!({ "data": { "project": project } })
            }
        }
        "ServiceInstance"
            if super::environments::still_copying(&mut world, &v("environmentId")) =>
        {
            errors("ServiceInstance not found")
        }
        "ServiceInstance" => match world.instances.get(&(v("serviceId"), v("environmentId"))) {
            None => errors("ServiceInstance not found"),
            Some(i) => {
                let name = world
                    .services
                    .iter()
                    .find(|(id, _)| *id == v("serviceId"))
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default();
                let domains =
                    |d: &Vec<String>| d.iter().map(|x| json!({ "domain": x })).collect::<Vec<_>>();
                json!({ "data": { "serviceInstance": {
                    "id": format!("si-{}-{}", v("serviceId"), v("environmentId")),
                    "serviceId": v("serviceId"),
                    "serviceName": name,
                    "healthcheckPath": i.healthcheck_path,
                    "preDeployCommand": i.pre_deploy_command,
                "startCommand": i.start_command,
                    "rootDirectory": i.root_directory,
                    "watchPatterns": i.watch_patterns,
                    "source": { "image": i.image, "repo": i.repo },
                    "latestDeployment": latest_json(&world, &v("serviceId"), &v("environmentId")),
                    "domains": { "customDomains": domains(&i.custom_domains), "serviceDomains": domains(&i.service_domains) },
                } } })
            }
        },
        "DeploymentTriggers" => {
            // Every service's triggers in the environment, each naming its service.
            let env = v("environmentId");
            let mut keys: Vec<_> = world.triggers.keys().filter(|(_, e)| *e == env).collect();
            keys.sort();
            let edges: Vec<Value> = keys
                .into_iter()
                .flat_map(|k| {
                    let service = k.0.clone();
                    world.triggers[k].iter().map(move |n| {
                        let mut n = n.clone();
                        n["serviceId"] = json!(service);
                        json!({ "node": n })
                    })
                })
                .collect();
            json!({ "data": { "environment": { "deploymentTriggers": { "edges": edges } } } })
        }
        "Deployments" => {
            let input = vars.get("input").cloned().unwrap_or(Value::Null);
            let f = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_string);
            if let (Some(s), Some(e)) = (f("serviceId"), f("environmentId")) {
                world.list_deployments_of(&s, &e);
            }
            let statuses: Option<Vec<String>> = input
                .pointer("/status/in")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                });
            let first = vars.get("first").and_then(Value::as_u64).unwrap_or(100) as usize;
            let mut found: Vec<_> = world
                .deployments
                .iter()
                .filter(|d| f("serviceId").is_none_or(|s| s == d.service_id))
                .filter(|d| f("environmentId").is_none_or(|e| e == d.environment_id))
                .filter(|d| statuses.as_ref().is_none_or(|s| s.contains(&d.status)))
                .collect();
            found.sort_by_key(|d| std::cmp::Reverse(d.seq));
            let edges: Vec<Value> = found
                .into_iter()
                .take(first)
                .map(|d| json!({ "node": RailwayWorld::deployment_json(d) }))
                .collect();
            json!({ "data": { "deployments": { "edges": edges } } })
        }
        "Deployment" => match world.observe(&v("id")) {
            None => errors("Deployment not found"),
            Some(d) => json!({ "data": { "deployment": RailwayWorld::deployment_json(d) } }),
        },
        "DeploymentEvents" => match world.deployment(&v("id")) {
            None => errors("Deployment not found"),
            Some(d) => {
                let first = vars.get("first").and_then(Value::as_u64).unwrap_or(100) as usize;
                let edges: Vec<Value> = d
                    .events
                    .iter()
                    .take(first)
                    .map(|e| json!({ "node": e }))
                    .collect();
                json!({ "data": { "deploymentEvents": { "edges": edges } } })
            }
        },
        "DeploymentLogs" => match world.deployment(&v("deploymentId")) {
            None => errors("Deployment not found"),
            Some(d) => {
                let limit = vars.get("limit").and_then(Value::as_u64).unwrap_or(100) as usize;
                let lines = log_lines(&d.deploy_logs);
                let skip = lines.len().saturating_sub(limit);
                json!({ "data": { "deploymentLogs": lines[skip..] } })
            }
        },
        "ServiceInstanceDeployV2" => {
            let key = (v("serviceId"), v("environmentId"));
            match world.instances.get(&key) {
                None => errors("ServiceInstance not found"),
                Some(i) => {
                    // Without a commit: the instance's image, else the commit already
                    // associated with the service (Railway's docs), not its branch's latest.
                    let meta = match (vars.get("commitSha").and_then(Value::as_str), &i.image) {
                        (Some(sha), _) => json!({ "commitHash": sha }),
                        (None, Some(image)) => json!({ "image": image }),
                        (None, None) => {
                            let head = world.branch_head(i);
                            let sha = i.associated_commit.clone().or(head);
                            json!({ "commitHash": sha, "branch": i.branch, "repo": i.repo })
                        }
                    };
                    let id = world.start_deployment(&key.0, &key.1, meta);
                    json!({ "data": { "serviceInstanceDeployV2": id } })
                }
            }
        }
        "ServiceInstanceDeployLatestCommit" => {
            let query = request.get("query").and_then(Value::as_str).unwrap_or("");
            let key = (v("serviceId"), v("environmentId"));
            match world.instances.get(&key) {
                _ if !query.replace(' ', "").contains("latestCommit:true") => {
                    errors("the fake answers serviceInstanceDeploy only with `latestCommit: true`")
                }
                None => errors("ServiceInstance not found"),
                Some(i) => {
                    // The latest commit of the connected branch, or the image pulled again
                    // (railwayapp/cli e5a2096c); the answer is only `true`.
                    let meta = match (&i.image, world.branch_head(i)) {
                        (Some(image), _) => Some(json!({ "image": image })),
                        (None, Some(sha)) => {
                            Some(json!({ "commitHash": sha, "branch": i.branch, "repo": i.repo }))
                        }
                        (None, None) => None,
                    };
                    let late = world.latest_deploy_reads;
                    match (meta, world.branch_head(i)) {
                        (None, _) => errors("Service has no source to deploy"),
                        (Some(_), Some(sha)) if late > 0 && i.image.is_none() => {
                            world.autodeploy_after(&key.0, &key.1, &sha, late);
                            json!({ "data": { "serviceInstanceDeploy": true } })
                        }
                        (Some(meta), _) => {
                            world.start_deployment(&key.0, &key.1, meta);
                            json!({ "data": { "serviceInstanceDeploy": true } })
                        }
                    }
                }
            }
        }
        "ServiceInstanceUpdate" => match world
            .instances
            .get_mut(&(v("serviceId"), v("environmentId")))
        {
            None => errors("ServiceInstance not found"),
            Some(i) => {
                let input = vars.get("input").cloned().unwrap_or(Value::Null);
                if let Some(image) = input.pointer("/source/image").and_then(Value::as_str) {
                    i.image = Some(image.to_string());
                }
                if let Some(cmd) = input.get("preDeployCommand") {
                    i.pre_deploy_command = cmd.clone();
                }
                json!({ "data": { "serviceInstanceUpdate": true } })
            }
        },
        "Variables" => {
            let vars_of = world
                .variables
                .get(&(v("serviceId"), v("environmentId")))
                .cloned()
                .unwrap_or_default();
            // Railway renders references: `${{RAILWAY_ENVIRONMENT_NAME}}` is the environment's
            // name, so a copied value that references it differs per environment (a preview's
            // own database), while a literal value is the same everywhere.
            let env_name = world
                .environments
                .iter()
                .find(|(id, _)| *id == v("environmentId"))
                .map(|(_, n)| n.clone())
                .unwrap_or_default();
            let vars_of: serde_json::Map<String, Value> = vars_of
                .into_iter()
                .map(|(k, val)| match val.as_str() {
                    Some(s) => (
                        k,
                        json!(s.replace("${{RAILWAY_ENVIRONMENT_NAME}}", &env_name)),
                    ),
                    None => (k, val),
                })
                .collect();
            json!({ "data": { "variables": vars_of } })
        }
        "DeploymentRollback" => {
            let target = world.deployment(&v("id")).cloned();
            match target {
                None => errors("Deployment not found"),
                Some(t) if !t.can_rollback => errors("Deployment cannot be rolled back"),
                Some(t) => {
                    // Railway redeploys the old deployment's image as a new deployment.
                    let id = world.start_deployment(
                        &t.service_id,
                        &t.environment_id,
                        json!({ "rollbackOf": t.id }),
                    );
                    if let Some(d) = world.deployment_mut(&id) {
                        d.script = ["DEPLOYING", "SUCCESS"]
                            .iter()
                            .map(|s| s.to_string())
                            .collect();
                    }
                    json!({ "data": { "deploymentRollback": true } })
                }
            }
        }
        "DeploymentCancel" => match world.deployment_mut(&v("id")) {
            None => errors("Deployment not found"),
            Some(d) if d.is_final() => errors("Deployment is not in progress"),
            Some(d) => {
                // Railway stops the build and marks the deployment removed.
                d.script.clear();
                d.status = "REMOVED".into();
                json!({ "data": { "deploymentCancel": true } })
            }
        },
        other => super::observe::answer(&mut world, other, &vars)
            .or_else(|| super::environments::handle(&mut world, &who, other, &vars))
            .or_else(|| super::volumes::answer(&mut world, other, &vars))
            .unwrap_or_else(|| {
                errors(&format!(
                    "Problem processing request: unknown operation `{other}` in the fake"
                ))
            }),
    };
    let query = request
        .get("query")
        .and_then(Value::as_str)
        .unwrap_or_default();
    super::paging::page_connections(query, &mut reply);
    // The request was processed; its answer may still be lost on the way back.
    if let Some(how) = world.lose_answer.remove(&op) {
        return super::faults::lost_response(how);
    }
    axum::Json(reply).into_response()
}
