/**
 * `Linear` (a fully connected layer) and `Identity`.
 *
 * @module
 */
import { randomUniform, type Tensor, tensor, zeros } from "../tensor.ts";
import { noGrad } from "../autograd/engine.ts";
import { Module } from "./module.ts";
import { Parameter } from "./parameter.ts";
import { linear } from "./functional.ts";

/** Options of `Linear`. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

function checkFeatures(n: number, name: string): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(
      `Linear: ${name} must be a non-negative integer, got ${n}`,
    );
  }
}

/** Uniform values in [-bound, bound), from the generator `manualSeed` seeds. */
function uniform(shape: number[], bound: number): Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) {
    data[i] = (2 * randomUniform() - 1) * bound;
  }
  return tensor(data, { shape });
}

/**
 * `y = x W^T + b` over the last dim of `x` (any leading dims), with weight
 * `[outFeatures, inFeatures]` and bias `[outFeatures]`. Both start uniform in
 * `+-1/sqrt(inFeatures)`, PyTorch's default (kaiming_uniform with a = sqrt(5)
 * for the weight).
 *
 * @example
 * ```ts
 * import { manualSeed, nn, tensor } from "../../mod.ts";
 * manualSeed(0);
 * const layer = new nn.Linear(1, 1);
 * console.log(layer.toString()); // Linear(in_features=1, out_features=1, bias=True)
 * console.log(layer.call(tensor([[1], [2], [3]])).shape); // [3, 1]
 * ```
 */
export class Linear extends Module {
  /** Size of each input's last dim. */
  readonly inFeatures: number;
  /** Size of each output's last dim. */
  readonly outFeatures: number;
  /** The weight, `[outFeatures, inFeatures]`. */
  weight: Parameter;
  /** The bias, `[outFeatures]`, or null without one. */
  bias: Parameter | null;

  /** A layer mapping `inFeatures` to `outFeatures`, freshly initialized. */
  constructor(
    inFeatures: number,
    outFeatures: number,
    options: LinearOptions = {},
  ) {
    checkFeatures(inFeatures, "inFeatures");
    checkFeatures(outFeatures, "outFeatures");
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = new Parameter(zeros(outFeatures, inFeatures));
    this.bias = (options.bias ?? true)
      ? new Parameter(zeros(outFeatures))
      : null;
    this.resetParameters();
  }

  /** Draws new weights and bias with PyTorch's default initialization. */
  resetParameters(): void {
    const bound = this.inFeatures > 0 ? 1 / Math.sqrt(this.inFeatures) : 0;
    noGrad(() => {
      this.weight.copy_(uniform([this.outFeatures, this.inFeatures], bound));
      this.bias?.copy_(uniform([this.outFeatures], bound));
    });
  }

  /** `input @ weight^T + bias`. */
  override forward(input: Tensor): Tensor {
    return linear(input, this.weight, this.bias);
  }

  /** `in_features=1, out_features=1, bias=True`, as PyTorch prints it. */
  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${
      this.bias !== null ? "True" : "False"
    }`;
  }
}

/**
 * Returns its input unchanged: a placeholder layer.
 *
 * @example
 * ```ts
 * import { nn, tensor } from "../../mod.ts";
 * const x = tensor([1, 2]);
 * console.log(new nn.Identity().call(x) === x); // true
 * ```
 */
export class Identity extends Module {
  /** `input` itself. */
  override forward(input: Tensor): Tensor {
    return input;
  }
}
