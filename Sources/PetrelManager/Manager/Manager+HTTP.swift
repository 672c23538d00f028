import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

extension Manager {
    /// `/healthz` (200 while the process serves) and `/readyz` (200 when ``isReady``, else 503).
    func makeHealthServer(_ address: ListenAddress) -> some Service {
        let router = Router(context: BasicRequestContext.self)
        router.get("healthz") { _, _ in Self.text("ok\n") }
        router.get("readyz") { _, _ in
            self.isReady ? Self.text("ok\n") : Self.text("not ready\n", status: .serviceUnavailable)
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { channel in
                self.boundPorts.withLock { $0["health"] = channel.localAddress?.port ?? address.port }
            },
            logger: logger)
    }

    /// `/metrics` in the Prometheus text format 0.0.4.
    func makeMetricsServer(_ address: ListenAddress) -> some Service {
        let router = Router(context: BasicRequestContext.self)
        router.get("metrics") { _, _ in
            let text = await self.metricsText()
            return Self.text(text, contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { channel in
                self.boundPorts.withLock { $0["metrics"] = channel.localAddress?.port ?? address.port }
            },
            logger: logger)
    }

    private static func text(
        _ body: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8"
    ) -> Response {
        Response(
            status: status, headers: [.contentType: contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// The current metrics in the Prometheus text format.
    package func metricsText() async -> String {
        var text = PrometheusText()
        let controllers = self.controllers
        var snapshots: [(name: String, snapshot: ControllerMetricsSnapshot)] = []
        for controller in controllers {
            let statistics = await controller.queue.statistics
            let snapshot = ControllerMetricsSnapshot(reconciles: controller.metrics.snapshot, queue: statistics)
            snapshots.append((name: controller.name, snapshot: snapshot))
        }
        text.renderControllers(snapshots)
        var informerRows: [String: (relists: Int, objects: Int, synced: Bool)] = [:]
        for informer in informers.all {
            var row = informerRows[informer.resourceDescription] ?? (0, 0, true)
            row.relists += informer.relists
            row.objects += informer.store.count
            row.synced = row.synced && informer.store.isReady
            informerRows[informer.resourceDescription] = row
        }
        let rows: [(resource: String, row: (relists: Int, objects: Int, synced: Bool))] =
            informerRows.sorted { $0.key < $1.key }.map { (resource: $0.key, row: $0.value) }
        text.renderInformers(rows)
        let lease = configuration.leaderElection.map { "\($0.namespace)/\($0.name)" } ?? ""
        text.gauge(
            "petrel_leader", help: "1 while this instance runs the controllers (always 1 without leader election).",
            [(["lease": lease], isLeading ? 1 : 0)])
        text.gauge("petrel_ready", help: "1 while /readyz answers 200.", [([:], isReady ? 1 : 0)])
        text.counter(
            "petrel_events_written_total", help: "Kubernetes Events written (created or patched).",
            [([:], Double(recorder.writes))])
        return text.output
    }
}
