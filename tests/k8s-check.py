#!/usr/bin/env python3
"""tests/k8s-check.py BIN_DIR: structural checks of deploy/k8s (`make check`).

There is no cluster in the tests, so this reads every YAML document of
deploy/k8s and checks what would otherwise only fail on a cluster, against
the code, the built binaries and docker-compose.yml:

- kustomization.yaml lists every manifest file and every listed file exists;
- every container runs the kustomize-managed image, a program that exists
  (BIN_DIR/<service>, salesctl <command>), through sp-with-secrets as the
  Dockerfile installs it, with the pod running as the Dockerfile's uid;
- every environment variable a container gets (env and envFrom) is one its
  program lists in --help, or a libpq variable docs/operations.md names;
  endpoints, SP_HTTP and SP_POSTGRES_URL equal docker-compose.yml's;
- every bound endpoint and SP_HTTP port is a containerPort; probes use a
  containerPort and paths common/seams/sp_http.c serves (readiness:
  /healthz); every Service selects a Deployment and targets its ports; a
  service that binds a PUB socket per instance has a headless Service;
  the hosts of SP_BUS_ENDPOINT and SP_POSTGRES_URL are Services here;
- every PodDisruptionBudget and HorizontalPodAutoscaler selects or targets
  a Deployment by its labels; HPA metrics are gauges the consumer kit
  registers (common/consumer/sp_consumer_metrics.c), their adapter rule
  is in README.md, maxReplicas <= SP_PARTITIONS;
- every Secret a manifest uses, with every key it uses, is made by a
  `kubectl create secret` command of deploy/k8s/README.md, and every
  secret made there is used; every ConfigMap and key used exists;
- every absolute path in the environment is a file the pod has: under a
  volume mount (a key of its Secret, or a file the init container copies
  there from a Secret) or in the image (deploy/docker/Dockerfile).

Prints one line per problem and exits 1, or one summary line and 0.
"""
import os
import re
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K8S = os.path.join(ROOT, "deploy", "k8s")
ERRORS = []


def fail(message):
    ERRORS.append(message)


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as file:
        return file.read()


def labels_match(selector, labels):
    """True when every label of selector is in labels with the same value."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


# ------------------------------------------------------------ sources of truth

def help_env(bin_dir, program, cache={}):
    """{environment variable: its help line} of `program --help` (a list)."""
    key = tuple(program)
    if key not in cache:
        path = os.path.join(bin_dir, program[0])
        if not os.access(path, os.X_OK):
            fail(f"{path}: no such program (build it: make all)")
            cache[key] = {}
        else:
            out = subprocess.run([path] + program[1:] + ["--help"], capture_output=True,
                                 text=True, check=False)
            if out.returncode != 0:
                fail(f"{' '.join(program)} --help exited {out.returncode}")
            lines = out.stdout.splitlines()
            env = {}
            for line in lines:
                match = re.search(r"\(env ([A-Z][A-Z0-9_]*)", line)
                if match:
                    env[match.group(1)] = line
            if not env:
                fail(f"{' '.join(program)} --help lists no environment variable")
            cache[key] = env
    return cache[key]


def compose_environment():
    """docker-compose.yml: service -> (environment with ${X:-d} as d, command)."""
    compose = yaml.safe_load(read("docker-compose.yml"))
    result = {}
    for name, service in compose["services"].items():
        env = {}
        for key, value in (service.get("environment") or {}).items():
            env[key] = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value))
        result[name] = (env, service.get("command"))
    return result


def http_paths():
    text = read("common/seams/sp_http.c")
    paths = dict(re.findall(r'#define SP_HTTP_(HEALTH|METRICS)_PATH "([^"]+)"', text))
    if set(paths) != {"HEALTH", "METRICS"}:
        fail("common/seams/sp_http.c: SP_HTTP_HEALTH_PATH / SP_HTTP_METRICS_PATH not found")
    return paths


def consumer_gauges():
    text = read("common/consumer/sp_consumer_metrics.c")
    return set(re.findall(r'sp_metrics_gauge\s*\(\s*registry,\s*"([a-z_]+)"', text))


def dockerfile_facts():
    text = read("deploy/docker/Dockerfile")
    uid = re.search(r"--uid (\d+)", text)
    entry = re.search(r"COPY deploy/docker/with-secrets.sh /usr/local/bin/(\S+)", text)
    image = re.search(r"-t (\S+):(\S+)", text)
    copies = re.findall(r"^COPY .* (/\S+?)/?$", text, re.M)
    if not (uid and entry and image):
        fail("deploy/docker/Dockerfile: uid, sp-with-secrets or image name not found")
        return None, None, None, copies
    return int(uid.group(1)), entry.group(1), image.group(1), copies


def readme_secrets(text):
    """{secret name: set of keys} from the README's `kubectl create secret` lines."""
    joined = re.sub(r"\\\n\s*", " ", text)
    secrets = {}
    for line in joined.splitlines():
        match = re.search(r"kubectl (.*)create secret generic ([a-z0-9-]+)(.*)", line)
        if not match:
            continue
        name, rest = match.group(2), match.group(1) + match.group(3)
        if "-n salespulse" not in rest and "--namespace salespulse" not in rest:
            fail(f"README.md: `kubectl create secret generic {name}` is not given -n salespulse")
        keys = secrets.setdefault(name, set())
        for kind, value in re.findall(r"--from-(file|literal)=(\S+)", rest):
            if kind == "file" and "=" not in value:
                keys.add(os.path.basename(value))
            else:
                keys.add(value.split("=", 1)[0])
    return secrets


# ------------------------------------------------------------------- manifests

def load_manifests():
    kustomization = yaml.safe_load(open(os.path.join(K8S, "kustomization.yaml"),
                                        encoding="utf-8"))
    listed = kustomization.get("resources") or []
    if len(set(listed)) != len(listed):
        fail("kustomization.yaml: a resource is listed twice")
    present = sorted(f for f in os.listdir(K8S)
                     if f.endswith((".yaml", ".yml")) and f != "kustomization.yaml")
    for name in listed:
        if not os.path.isfile(os.path.join(K8S, name)):
            fail(f"kustomization.yaml lists {name}, which does not exist")
    for name in present:
        if name not in listed:
            fail(f"deploy/k8s/{name} is not listed in kustomization.yaml")
    documents = []
    for name in listed:
        path = os.path.join(K8S, name)
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as file:
            for doc in yaml.safe_load_all(file):
                if doc is None:
                    continue
                if not all(k in doc for k in ("apiVersion", "kind", "metadata")) or \
                        not doc["metadata"].get("name"):
                    fail(f"{name}: a document without apiVersion, kind or metadata.name")
                    continue
                namespace = doc["metadata"].get("namespace")
                if namespace and namespace != kustomization.get("namespace"):
                    fail(f"{name}: {doc['kind']}/{doc['metadata']['name']} in namespace "
                         f"{namespace}, not the kustomization's")
                documents.append((name, doc))
    return kustomization, documents


def pod_specs(documents):
    """(file, kind, name, pod spec) of every Deployment and Job."""
    for file, doc in documents:
        if doc["kind"] == "Deployment":
            yield file, doc, doc["spec"]["template"]["spec"]
        elif doc["kind"] == "Job":
            yield file, doc, doc["spec"]["template"]["spec"]


def program_of(container, entrypoint):
    """The program and subcommand a container runs, without the entrypoint."""
    argv = list(container.get("command") or []) + list(container.get("args") or [])
    if argv and argv[0] == entrypoint:
        argv = argv[1:]
    if argv and argv[0] == "salesctl":
        return argv[:2]
    return argv[:1]


def container_env(container, configmaps, where):
    env = {}
    for source in container.get("envFrom") or []:
        ref = source.get("configMapRef")
        if ref:
            if ref["name"] not in configmaps:
                fail(f"{where}: envFrom ConfigMap {ref['name']} is not in the manifests")
            env.update(configmaps.get(ref["name"], {}))
        if source.get("secretRef"):
            fail(f"{where}: envFrom a Secret: its keys cannot be checked, use env")
    for item in container.get("env") or []:
        if "value" in item:
            env[item["name"]] = str(item["value"])
        else:
            ref = (item.get("valueFrom") or {}).get("configMapKeyRef")
            env[item["name"]] = configmaps.get(ref["name"], {}).get(ref["key"]) if ref else None
    return env


def port_number(container, port, where):
    numbers = {p.get("name"): p["containerPort"] for p in container.get("ports") or []}
    value = numbers.get(port) if isinstance(port, str) else port
    if value not in numbers.values():
        fail(f"{where}: port {port!r} is not a containerPort of {container['name']}")
        return None
    return value


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: tests/k8s-check.py BIN_DIR")
    bin_dir = sys.argv[1]
    kustomization, documents = load_manifests()
    readme = open(os.path.join(K8S, "README.md"), encoding="utf-8").read()
    operations = read("docs/operations.md")
    uid, entrypoint, image_name, image_paths = dockerfile_facts()
    compose = compose_environment()
    paths = http_paths()
    gauges = consumer_gauges()
    made = readme_secrets(readme)
    secrets_dir = re.search(r"SP_SECRETS_DIR:-(/[^}]+)\}", read("deploy/docker/with-secrets.sh"))
    without_redis = re.search(r'\[ "\$name" = ([a-z-]+) \] \|\| put "\$name" redis\.url',
                              read("deploy/docker/secrets.sh"))
    if not secrets_dir or not without_redis:
        sys.exit("k8s-check: deploy/docker/with-secrets.sh or secrets.sh: SP_SECRETS_DIR "
                 "default or the service without redis.url not found")
    secrets_dir, without_redis = secrets_dir.group(1), without_redis.group(1)

    by_kind = {}
    for file, doc in documents:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = (file, doc)
    configmaps = {n: {k: str(v) for k, v in (d.get("data") or {}).items()}
                  for n, (_, d) in by_kind.get("ConfigMap", {}).items()}
    deployments = by_kind.get("Deployment", {})
    services = by_kind.get("Service", {})
    namespaces = by_kind.get("Namespace", {})
    if kustomization.get("namespace") not in namespaces:
        fail("kustomization.yaml: its namespace has no Namespace manifest")

    images = {i["name"]: i for i in kustomization.get("images") or []}
    if image_name not in images:
        fail(f"kustomization.yaml: no images: entry for {image_name} (deploy/docker/Dockerfile)")
    # libpq's own variables are accepted where docs/operations.md names them.
    libpq = set(re.findall(r"`(PG[A-Z]+)`", operations))
    partitions = int(configmaps.get("salespulse-config", {}).get("SP_PARTITIONS", "0"))
    if not partitions:
        fail("config.yaml: ConfigMap salespulse-config has no SP_PARTITIONS")

    used_secrets = {}
    pub_ports = {}  # deployment -> per-instance PUB ports
    bus_binds = {}  # deployment -> bound bus port
    for file, doc, spec in pod_specs(documents):
        kind, name = doc["kind"], doc["metadata"]["name"]
        where = f"{file}: {kind}/{name}"
        context = spec.get("securityContext") or {}
        if context.get("runAsNonRoot") is not True or context.get("runAsUser") != uid:
            fail(f"{where}: pod securityContext needs runAsNonRoot: true and runAsUser: {uid} "
                 "(the Dockerfile's user)")
        volumes = {v["name"]: v for v in spec.get("volumes") or []}
        # Secrets and ConfigMaps the pod uses, by volume.
        for volume in volumes.values():
            if "secret" in volume:
                keys = {i["key"] for i in volume["secret"].get("items") or []}
                used_secrets.setdefault(volume["secret"]["secretName"], set()).update(keys)
            if "configMap" in volume and volume["configMap"]["name"] not in configmaps:
                fail(f"{where}: ConfigMap {volume['configMap']['name']} is not in the manifests")
        # Files an init container copies into a volume: the keys of the
        # Secret it mounts (checked against the README below).
        copied = {}
        for init in spec.get("initContainers") or []:
            mounts = {m["name"] for m in init.get("volumeMounts") or []}
            sources = [volumes[m]["secret"]["secretName"] for m in mounts
                       if m in volumes and "secret" in volumes[m]]
            for m in mounts:
                if m in volumes and "emptyDir" in volumes[m]:
                    copied[m] = sources
            if init.get("image", "").split(":")[0] not in images:
                fail(f"{where}: init container {init['name']}: image {init.get('image')} is "
                     "not managed by kustomization.yaml images:")
        for container in spec.get("containers") or []:
            cwhere = f"{where} container {container['name']}"
            image = container.get("image", "")
            if image.split(":")[0] not in images:
                fail(f"{cwhere}: image {image} is not managed by kustomization.yaml images:")
            program = program_of(container, entrypoint)
            if kind == "Deployment":
                if (container.get("command") or [None])[0] != entrypoint:
                    fail(f"{cwhere}: command is not the image's {entrypoint}")
                if program != [name]:
                    fail(f"{cwhere}: runs {program}, not {name}")
                # sp-with-secrets reads SECRETS_DIR/redis.url: every service
                # but the one deploy/docker/secrets.sh gives none needs it.
                mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts") or []}
                if secrets_dir not in mounts or mounts[secrets_dir] not in copied:
                    fail(f"{cwhere}: no volume filled by an init container at {secrets_dir} "
                         f"({entrypoint}'s SP_SECRETS_DIR)")
                elif name != without_redis:
                    for secret in copied[mounts[secrets_dir]]:
                        used_secrets.setdefault(secret, set()).add("redis.url")
            if not program:
                fail(f"{cwhere}: no program")
                continue
            helped = help_env(bin_dir, program)
            env = container_env(container, configmaps, cwhere)
            for item in container.get("env") or []:
                ref = (item.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    used_secrets.setdefault(ref["name"], set()).add(ref["key"])
                ref = (item.get("valueFrom") or {}).get("configMapKeyRef")
                if ref and ref["key"] not in configmaps.get(ref["name"], {}):
                    fail(f"{cwhere}: ConfigMap {ref['name']} has no key {ref['key']}")
            for variable in env:
                if variable not in helped and variable not in libpq:
                    fail(f"{cwhere}: {variable} is not a setting of {' '.join(program)} "
                         "(its --help) nor a libpq variable of docs/operations.md")
            # Same values as the working Compose deployment.
            if kind == "Deployment" and name in compose:
                compose_env, compose_command = compose[name]
                if compose_command != program:
                    fail(f"{cwhere}: runs {program}, docker-compose.yml {compose_command}")
                for variable, value in env.items():
                    if re.search(r"_ENDPOINT$|^SP_HTTP$|^SP_POSTGRES_URL$|^SP_PARTITIONS$",
                                 variable) and variable in compose_env and \
                            compose_env[variable] != value:
                        fail(f"{cwhere}: {variable}={value}, docker-compose.yml has "
                             f"{compose_env[variable]}")
            # Ports: every bound endpoint and SP_HTTP is a containerPort.
            ports = {p["containerPort"] for p in container.get("ports") or []}
            http_port = None
            if "SP_HTTP" in env and env["SP_HTTP"]:
                http_port = int(env["SP_HTTP"].rsplit(":", 1)[1])
                if kind == "Deployment" and http_port not in ports:
                    fail(f"{cwhere}: SP_HTTP port {http_port} is not a containerPort")
            for variable, value in env.items():
                match = re.fullmatch(r"tcp://\*:(\d+)", value or "")
                if match:
                    port = int(match.group(1))
                    if port not in ports:
                        fail(f"{cwhere}: {variable} binds {port}, not a containerPort")
                    line = helped.get(variable, "")
                    if "PUB endpoint(s) to bind" in line:
                        pub_ports.setdefault(name, set()).add(port)
                    if variable == "SP_BUS_ENDPOINT":
                        bus_binds[name] = port
            # Probes.
            if kind == "Deployment":
                for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                    get = (container.get(probe) or {}).get("httpGet")
                    if not get:
                        fail(f"{cwhere}: no {probe} with httpGet")
                        continue
                    number = port_number(container, get["port"], f"{cwhere} {probe}")
                    if number is not None and number != http_port:
                        fail(f"{cwhere}: {probe} asks port {number}, SP_HTTP is {http_port}")
                    if get["path"] not in paths.values():
                        fail(f"{cwhere}: {probe} path {get['path']} is not served "
                             "(common/seams/sp_http.c)")
                ready = (container.get("readinessProbe") or {}).get("httpGet") or {}
                if ready.get("path") != paths.get("HEALTH"):
                    fail(f"{cwhere}: readinessProbe must ask {paths.get('HEALTH')}")
                if not (container.get("resources") or {}).get("requests") or \
                        not (container.get("resources") or {}).get("limits"):
                    fail(f"{cwhere}: resources need requests and limits")
            # Absolute paths in the environment exist in the pod.
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts") or []}
            for variable, value in env.items():
                if not value or not value.startswith("/") or value == "/dev/null":
                    continue
                if value in mounts:
                    continue
                directory, base = os.path.split(value)
                if directory in mounts:
                    volume = volumes.get(mounts[directory], {})
                    if "secret" in volume:
                        items = {i["path"] for i in volume["secret"].get("items") or []}
                        if base not in items:
                            fail(f"{cwhere}: {variable}={value}: {base} is not an item of "
                                 f"Secret {volume['secret']['secretName']}")
                    elif "emptyDir" in volume:
                        sources = copied.get(mounts[directory], [])
                        if not sources:
                            fail(f"{cwhere}: {variable}={value}: nothing fills {directory}")
                        for secret in sources:
                            used_secrets.setdefault(secret, set()).add(base)
                    continue
                if not any(value == p or value.startswith(p.rstrip("/") + "/")
                           for p in image_paths):
                    fail(f"{cwhere}: {variable}={value} is neither under a volume mount "
                         "nor a path of the image")
            # Hosts of the URLs this container connects to are Services here.
            bus = env.get("SP_BUS_ENDPOINT") or ""
            match = re.fullmatch(r"tcp://([a-z0-9-]+):(\d+)", bus)
            if match:
                host, port = match.group(1), int(match.group(2))
                target = services.get(host)
                if not target or port not in [p["port"] for p in target[1]["spec"]["ports"]]:
                    fail(f"{cwhere}: SP_BUS_ENDPOINT {bus}: no Service {host} with port {port}")
            match = re.match(r"postgresql://[^@/]*@([a-z0-9-]+):(\d+)/", env.get(
                "SP_POSTGRES_URL") or "")
            if match:
                host, port = match.group(1), int(match.group(2))
                target = services.get(host)
                if not target or port not in [p["port"] for p in target[1]["spec"]["ports"]]:
                    fail(f"{cwhere}: SP_POSTGRES_URL: no Service {host} with port {port}")

    # Services: each selects a Deployment and targets its ports.
    selected = {}
    for name, (file, doc) in services.items():
        spec = doc["spec"]
        if spec.get("type") == "ExternalName":
            continue
        hits = [d for d, (_, dep) in deployments.items()
                if labels_match(spec.get("selector"), dep["spec"]["template"]["metadata"]
                                ["labels"])]
        if len(hits) != 1:
            fail(f"{file}: Service/{name} selects {len(hits)} Deployments, not 1")
            continue
        deployment = deployments[hits[0]][1]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        for port in spec.get("ports") or []:
            number = port_number(container, port.get("targetPort", port["port"]),
                                 f"{file}: Service/{name}")
            if number is not None and number != port["port"]:
                fail(f"{file}: Service/{name} port {port['port']} targets {number}")
            selected.setdefault(hits[0], []).append((name, spec, port["port"]))
    for deployment, ports in pub_ports.items():
        for port in ports:
            headless = [s for s, spec, p in selected.get(deployment, [])
                        if p == port and spec.get("clusterIP") == "None"]
            if not headless:
                fail(f"{deployment}: its PUB port {port} (one socket per instance) has no "
                     "headless Service")
    for deployment in deployments:
        if deployment not in selected:
            fail(f"Deployment/{deployment} has no Service")
    for deployment, port in bus_binds.items():
        if not any(p == port for _, _, p in selected.get(deployment, [])):
            fail(f"Deployment/{deployment}: its bus port {port} has no Service")

    # Deployments' own labels; PDBs and HPAs.
    for name, (file, doc) in deployments.items():
        selector = doc["spec"]["selector"].get("matchLabels")
        labels = doc["spec"]["template"]["metadata"]["labels"]
        if not labels_match(selector, labels):
            fail(f"{file}: Deployment/{name} selector does not match its pod labels")
    pdbs = by_kind.get("PodDisruptionBudget", {})
    for deployment, (file, doc) in deployments.items():
        selector = doc["spec"]["selector"]["matchLabels"]
        if not any(p["spec"]["selector"].get("matchLabels") == selector
                   for _, p in pdbs.values()):
            fail(f"{file}: Deployment/{deployment} has no PodDisruptionBudget with its selector")
    for name, (file, doc) in pdbs.items():
        if not any(labels_match(doc["spec"]["selector"].get("matchLabels"),
                                d["spec"]["template"]["metadata"]["labels"])
                   for _, d in deployments.values()):
            fail(f"{file}: PodDisruptionBudget/{name} selects no Deployment")
    hpas = by_kind.get("HorizontalPodAutoscaler", {})
    scaled = set()
    for name, (file, doc) in hpas.items():
        spec = doc["spec"]
        target = spec["scaleTargetRef"]
        if target.get("kind") != "Deployment" or target.get("name") not in deployments or \
                target.get("apiVersion") != "apps/v1":
            fail(f"{file}: HorizontalPodAutoscaler/{name} targets no Deployment here")
            continue
        scaled.add(target["name"])
        if "replicas" in deployments[target["name"]][1]["spec"]:
            fail(f"{file}: Deployment/{target['name']} sets replicas, which its HPA owns")
        if not 1 <= spec.get("minReplicas", 1) <= spec["maxReplicas"] <= partitions:
            fail(f"{file}: HorizontalPodAutoscaler/{name}: need 1 <= minReplicas <= "
                 f"maxReplicas <= SP_PARTITIONS ({partitions})")
        for metric in spec.get("metrics") or []:
            if metric.get("type") != "Pods":
                fail(f"{file}: HorizontalPodAutoscaler/{name}: a metric not of type Pods")
                continue
            metric_name = metric["pods"]["metric"]["name"]
            if metric_name not in gauges:
                fail(f"{file}: HorizontalPodAutoscaler/{name}: {metric_name} is not a gauge of "
                     "common/consumer/sp_consumer_metrics.c")
            if f'seriesQuery: \'{metric_name}{{' not in readme:
                fail(f"README.md has no Prometheus Adapter rule for {metric_name}")
        template = deployments[target["name"]][1]["spec"]["template"]
        selector = deployments[target["name"]][1]["spec"]["selector"]["matchLabels"]
        spread = template["spec"].get("topologySpreadConstraints") or []
        if not spread or any(c["labelSelector"].get("matchLabels") != selector for c in spread):
            fail(f"{file}: Deployment/{target['name']} needs topologySpreadConstraints "
                 "selecting its own pods")
    for name, (file, doc) in deployments.items():
        container = doc["spec"]["template"]["spec"]["containers"][0]
        consumer = any(e.get("name") == "SP_BUS_ENDPOINT" and
                       not str(e.get("value", "")).startswith("tcp://*")
                       for e in container.get("env") or [])
        if consumer and name not in scaled:
            fail(f"{file}: consumer Deployment/{name} has no HorizontalPodAutoscaler")

    # Secrets: used ones made by the README, with their keys; made ones used.
    for secret, keys in sorted(used_secrets.items()):
        if secret not in made:
            fail(f"Secret {secret} is used but README.md has no `kubectl create secret "
                 f"generic {secret}`")
        elif not keys <= made[secret]:
            fail(f"README.md: Secret {secret} lacks the keys {sorted(keys - made[secret])}")
    for secret in sorted(set(made) - set(used_secrets)):
        fail(f"README.md makes Secret {secret}, which no manifest uses")

    if ERRORS:
        for error in ERRORS:
            print(f"k8s-check: {error}")
        sys.exit(1)
    print(f"k8s-check: deploy/k8s ok ({len(documents)} documents, {len(deployments)} "
          f"Deployments, {len(made)} Secrets made by README.md)")


if __name__ == "__main__":
    main()
