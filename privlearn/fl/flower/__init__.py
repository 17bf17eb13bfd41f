"""privlearn's federated strategies on Flower (``pip install -e ".[flower]"``).

Everything else in privlearn runs a federation inside one Python process
(:func:`~privlearn.fl.run_fedavg`). This package runs the same
:class:`~privlearn.fl.FederatedTask` on Flower (Beutel et al. 2020, "Flower: a friendly
federated learning research framework", arXiv:2007.14390), the field's standard engine,
with a server and clients that are separate processes talking over gRPC:

* :mod:`.apps`: Flower's ``ServerApp`` and ``ClientApp``, configured by run config;
* :mod:`.strategy`: :class:`PrivlearnStrategy`, a Flower strategy whose server side is
  privlearn's :class:`~privlearn.fl.FedAvgServer` (so FedAvg and DP-FedAvg aggregate
  with privlearn's aggregators and its accountant) and whose secure aggregation runs
  the client and server halves of :mod:`privlearn.mpc.secagg_parties` as messages;
* :mod:`.launcher`: :class:`LocalFederation`, a SuperLink and N SuperNodes as real
  processes on 127.0.0.1, and ``python -m privlearn.fl.flower``, its command line.

Only this package imports ``flwr``; it needs Python >= 3.11 (Flower's own floor).
"""

from __future__ import annotations

try:
    import flwr  # noqa: F401
except ImportError as err:  # pragma: no cover - exercised without the extra
    raise ImportError("privlearn.fl.flower needs Flower: pip install -e \".[flower]\" "
                      "(Python >= 3.11)") from err

from .launcher import DeploymentFailed, DeploymentResult, LocalFederation
from .strategy import PrivlearnStrategy

__all__ = ["DeploymentFailed", "DeploymentResult", "LocalFederation", "PrivlearnStrategy"]
