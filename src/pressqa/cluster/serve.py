"""Replicated serving on Ray Serve: N replicas answer from one index; one writer deployment writes it.

Every replica runs the same FastAPI app as `pressqa serve` over the same index folder (a shared disk on a
real cluster). `POST` and `DELETE /documents` on any replica are forwarded to the single `IndexWriter`
replica, which writes and saves under the index lock before it answers; a replica checks the index for
saved changes before each search, so every request that starts after a write's response sees the write.
"""

from ray import serve
from ray.serve.handle import DeploymentHandle

from pressqa.config import Settings
from pressqa.schema import Document
from pressqa.service.qa import PressQA

APP_NAME = "pressqa"


@serve.deployment(num_replicas=1, ray_actor_options={"num_cpus": 0})
class IndexWriter:
    """The one writer (a `Writer`): adds and removes releases and saves, so writes never race each other."""

    def __init__(self, settings: Settings) -> None:
        self.engine = PressQA(settings)
        # Load the models now: the first write should not wait seconds for them (clients would time out).
        self.engine.writer.warm_up()

    def add_document(self, doc: Document, origin: str = "api") -> tuple[str, int]:
        return self.engine.add_document(doc, origin)

    def remove_document(self, doc_id: str) -> bool:
        return self.engine.remove_document(doc_id)


class ForwardingWriter:
    """A `Writer` that sends every write to the writer deployment and waits for it to be saved."""

    def __init__(self, writer: DeploymentHandle) -> None:
        self.writer = writer

    def add_document(self, doc: Document, origin: str = "api") -> tuple[str, int]:
        return self.writer.add_document.remote(doc, origin).result()

    def remove_document(self, doc_id: str) -> bool:
        return self.writer.remove_document.remote(doc_id).result()

    def warm_up(self) -> None:
        """Nothing to load here: the writer deployment loads its models when it starts."""


@serve.ingress()
class ApiReplica:
    """One replica of the HTTP API and chat page; the app is built on the replica, after this constructor."""

    def __init__(self, settings: Settings, writer: DeploymentHandle) -> None:
        self.settings = settings
        self.writer = writer

    def __serve_build_asgi_app__(self):
        from pressqa.service.api import create_app

        return create_app(self.settings, PressQA(self.settings, ForwardingWriter(self.writer)))


def application(settings: Settings, replicas: int, cpus_per_replica: float = 1.0):
    """The Serve application: `replicas` API replicas and the index writer, over `settings.index_dir`."""
    # Each replica is one process with its own model: its torch threads match the CPUs it reserves.
    # Replicas may start in another working directory: the index folder goes to them as an absolute path.
    update = {"threads": max(1, int(cpus_per_replica)), "index_dir": settings.index_dir.resolve()}
    replica_settings = settings.model_copy(update=update)
    api = serve.deployment(
        ApiReplica,
        name="PressQAApi",
        num_replicas=replicas,
        ray_actor_options={"num_cpus": cpus_per_replica},
        max_ongoing_requests=16,
    )
    # Settings travel pickled, not as JSON, which would mask the API key.
    return api.bind(replica_settings, IndexWriter.bind(replica_settings))


def run(settings: Settings, replicas: int, host: str, port: int, blocking: bool = True) -> None:
    """Start Serve's HTTP proxy on host:port and deploy the application (blocks until interrupted)."""
    serve.start(http_options={"host": host, "port": port})
    serve.run(
        application(settings, replicas, settings.ray_worker_threads),
        name=APP_NAME,
        route_prefix="/",
        blocking=blocking,
    )


def serve_until_stopped(settings: Settings, replicas: int, host: str, port: int, log=print) -> None:
    """Deploy the API on Ray Serve and wait; SIGTERM or Ctrl-C takes the deployment down."""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        run(settings, replicas, host, port, blocking=True)
    except KeyboardInterrupt:
        log("stopping the replicas")
    finally:
        serve.shutdown()
