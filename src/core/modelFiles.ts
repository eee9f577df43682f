import * as fs from 'node:fs';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { InfillError } from './errors';

/**
 * The graph of a model folder and the files its tensors keep their data in (external data), each
 * resolved inside the folder and checked to be a regular file before onnxruntime opens any: a
 * model.json or a graph from elsewhere must not make the engine read the user's other files (an
 * onnx.file of "../../etc/passwd", weights of "../../usr/bin/node"), nor block on a FIFO.
 */
export function modelFiles(dir: string, onnxFile: string): { graph: string; data: string[] } {
  const graph = insideFolder(dir, onnxFile, dir, 'onnx.file in model.json');
  const data = externalLocations(graph).map((location) => insideFolder(dir, location, path.dirname(graph), `the external data of ${path.basename(graph)}`));
  return { graph, data: [...new Set(data)] };
}

/** `name` resolved from `from`, which must stay inside `dir` and be a regular file. */
function insideFolder(dir: string, name: string, from: string, what: string): string {
  const file = path.resolve(from, name);
  const relative = path.relative(dir, file);
  if (path.isAbsolute(name) || relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new InfillError(`${what} names ${JSON.stringify(name)}, outside the model folder ${dir}: a model folder's files must be inside it`);
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new InfillError(`model folder ${dir} has no ${relative} (${what})`);
  }
  if (!stat.isFile()) throw new InfillError(`${file} (${what}) is not a regular file`);
  return file;
}

/**
 * The `location` of every tensor kept outside the graph file: initializers, constants in node
 * attributes, sparse tensors, in subgraphs and functions too.  A file that is not a graph at all is
 * left to onnxruntime, which says so in its words.
 */
function externalLocations(graphFile: string): string[] {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(fs.readFileSync(graphFile));
  } catch {
    return [];
  }
  const locations: string[] = [];
  const tensor = (t: onnx.ITensorProto | null | undefined) => {
    if (!t || (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL && !t.externalData?.length)) return;
    const location = t.externalData?.find((e) => e.key === 'location')?.value;
    if (typeof location !== 'string' || location === '')
      throw new InfillError(`${graphFile}: the tensor "${t.name}" keeps its data outside the graph but names no file`);
    locations.push(location);
  };
  const sparse = (s: onnx.ISparseTensorProto | null | undefined) => {
    tensor(s?.values);
    tensor(s?.indices);
  };
  const node = (n: onnx.INodeProto) => {
    for (const a of n.attribute ?? []) {
      tensor(a.t);
      a.tensors?.forEach(tensor);
      sparse(a.sparseTensor);
      a.sparseTensors?.forEach(sparse);
      graph(a.g);
      a.graphs?.forEach(graph);
    }
  };
  const graph = (g: onnx.IGraphProto | null | undefined) => {
    g?.initializer?.forEach(tensor);
    g?.sparseInitializer?.forEach(sparse);
    g?.node?.forEach(node);
  };
  graph(model.graph);
  model.functions?.forEach((f) => f.node?.forEach(node));
  return locations;
}
