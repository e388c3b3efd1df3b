/**
 * Evaluates the PyTorch expressions in the fixtures (`a * a + a`,
 * `torch.sum(a, dim=(0, 2), keepdim=True)`, `a.t() @ b`, ...) against
 * kindling, so each case runs exactly the expression PyTorch ran, with the
 * case's own shapes and arguments. Supports Python's arithmetic operators,
 * attribute calls with positional and keyword arguments, tuples, numbers and
 * True/False: what the fixture expressions use.
 *
 * @module
 */
import * as K from "../mod.ts";
import { Tensor } from "../mod.ts";

// deno-lint-ignore no-explicit-any
type Value = any;
type Token = { kind: "num" | "name" | "op"; text: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re =
    /\s*(?:(\d+\.?\d*(?:e[+-]?\d+)?)|([A-Za-z_][A-Za-z_0-9]*)|(\*\*|[-+*/@().,=]))/y;
  let pos = 0;
  while (pos < src.length) {
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) {
      if (/^\s*$/.test(src.slice(pos))) break;
      throw new SyntaxError(
        `cannot tokenize ${JSON.stringify(src.slice(pos))}`,
      );
    }
    pos = re.lastIndex;
    if (m[1] !== undefined) out.push({ kind: "num", text: m[1] });
    else if (m[2] !== undefined) out.push({ kind: "name", text: m[2] });
    else out.push({ kind: "op", text: m[3] });
  }
  return out;
}

const bound = Symbol("bound");

function callMethod(
  target: Value,
  name: string,
  args: Value[],
  kw: Record<string, Value>,
): Value {
  const keepdim = kw.keepdim ?? false;
  switch (name) {
    case "sum":
    case "mean": {
      const dim = args[0] ?? kw.dim ?? null;
      return target[name](dim, { keepdim });
    }
    case "max":
    case "min": {
      const dim = args[0] ?? kw.dim;
      return dim === undefined
        ? target[name]()
        : target[name](dim, { keepdim });
    }
    case "add":
    case "sub":
      return K[name](target, args[0] ?? kw.other, { alpha: kw.alpha ?? 1 });
    case "mul":
    case "div":
    case "pow":
      return K[name](target, args[0] ?? kw.exponent ?? kw.other);
    case "transpose":
      return target.transpose(args[0] ?? kw.dim0, args[1] ?? kw.dim1);
    case "unsqueeze":
    case "squeeze":
      return target[name](args[0] ?? kw.dim);
    default: {
      if (typeof target?.[name] !== "function") {
        throw new Error(`unsupported call ${name}`);
      }
      return target[name](...args);
    }
  }
}

function binary(op: string, a: Value, b: Value): Value {
  switch (op) {
    case "+":
      return K.add(a, b);
    case "-":
      return K.sub(a, b);
    case "*":
      return K.mul(a, b);
    case "/":
      return K.div(a, b);
    case "**":
      return K.pow(a, b);
    case "@":
      return K.matmul(a, b);
  }
  throw new Error(`unknown operator ${op}`);
}

/** Evaluates `src` with the given variables. */
export function evaluate(src: string, vars: Record<string, Value>): Value {
  const toks = tokenize(src);
  let i = 0;
  const peek = (text?: string) => {
    const t = toks[i];
    return t && (text === undefined || t.text === text) ? t : undefined;
  };
  const expect = (text: string) => {
    if (!peek(text)) throw new SyntaxError(`expected ${text} in ${src}`);
    i++;
  };

  const expr = (): Value => additive();
  const additive = (): Value => {
    let v = multiplicative();
    while (peek("+") || peek("-")) {
      v = binary(toks[i++].text, v, multiplicative());
    }
    return v;
  };
  const multiplicative = (): Value => {
    let v = unary();
    while (peek("*") || peek("/") || peek("@")) {
      v = binary(toks[i++].text, v, unary());
    }
    return v;
  };
  const unary = (): Value => {
    if (peek("-")) {
      i++;
      const v = unary();
      return typeof v === "number" ? -v : v.neg();
    }
    return power();
  };
  const power = (): Value => {
    const base = postfix();
    if (peek("**")) {
      i++;
      return binary("**", base, unary());
    }
    return base;
  };
  const postfix = (): Value => {
    let v = atom();
    for (;;) {
      if (peek(".")) {
        i++;
        const name = toks[i++].text;
        v = v === vars.torch
          ? { [bound]: "torch", name }
          : { [bound]: v, name };
      } else if (peek("(")) {
        i++;
        const args: Value[] = [];
        const kw: Record<string, Value> = {};
        while (!peek(")")) {
          if (toks[i].kind === "name" && toks[i + 1]?.text === "=") {
            const key = toks[i].text;
            i += 2;
            kw[key] = expr();
          } else args.push(expr());
          if (peek(",")) i++;
        }
        expect(")");
        if (!v || v[bound] === undefined) {
          throw new Error(`not callable in ${src}`);
        }
        if (v[bound] === "torch") {
          v = v.name === "matmul"
            ? K.matmul(args[0], args[1])
            : callMethod(args[0], v.name, args.slice(1), kw);
        } else v = callMethod(v[bound], v.name, args, kw);
      } else return v;
    }
  };
  const atom = (): Value => {
    const t = toks[i++];
    if (!t) throw new SyntaxError(`unexpected end of ${src}`);
    if (t.kind === "num") return Number(t.text);
    if (t.kind === "name") {
      if (t.text === "True") return true;
      if (t.text === "False") return false;
      if (t.text === "torch") return vars.torch;
      if (!(t.text in vars)) {
        throw new Error(`unknown name ${t.text} in ${src}`);
      }
      return vars[t.text];
    }
    if (t.text === "(") {
      const first = expr();
      if (peek(",")) {
        const items = [first];
        while (peek(",")) {
          i++;
          if (peek(")")) break;
          items.push(expr());
        }
        expect(")");
        return items;
      }
      expect(")");
      return first;
    }
    throw new SyntaxError(`unexpected ${t.text} in ${src}`);
  };
  const v = expr();
  if (i !== toks.length) throw new SyntaxError(`trailing tokens in ${src}`);
  return v;
}

/** The `torch` object the evaluator needs in `vars`. */
export const torch: Record<string, never> = {};

export { Tensor };
