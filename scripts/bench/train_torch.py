"""PyTorch's side of scripts/bench/train: fine-tuning steps of the same network,
batch, objective and thread count as `vicinity bench train`, on random inputs
(the time of a step does not depend on the pixel values). Prints one JSON line."""
import argparse, json, time
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--sizes", default="784,500,500,2000,30")
parser.add_argument("--batch", type=int, default=1000)
parser.add_argument("--steps", type=int, default=20)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
sizes = [int(s) for s in args.sizes.split(",")]
layers = []
for i in range(len(sizes) - 1):
    layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
    if i < len(sizes) - 2:
        layers.append(torch.nn.Sigmoid())
net = torch.nn.Sequential(*layers)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
x = torch.rand(args.batch, sizes[0])
y = torch.randint(0, 10, (args.batch,))
same = (y[:, None] == y[None, :]).float()
same.fill_diagonal_(0)


def nca_loss(z):
    """−(1/B)·Σ_i Σ_{j same class} p_ij, the objective vicinity trains."""
    n = (z * z).sum(1)
    d = (n[:, None] + n[None, :] - 2 * z @ z.T).clamp_min(0)
    d.fill_diagonal_(float("inf"))
    return -(torch.softmax(-d, 1) * same).sum(1).mean()


def step():
    loss = nca_loss(net(x))
    opt.zero_grad()
    loss.backward()
    opt.step()


for _ in range(3):
    step()
start = time.perf_counter()
for _ in range(args.steps):
    step()
seconds = (time.perf_counter() - start) / args.steps
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "step_seconds": seconds,
                  "seconds_per_60k_epoch": seconds * 60000 / args.batch}))
