#include "builder.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace fmsim::workloads {

Act parse_act(const std::string& name) {
    if (name == "relu") return Act::relu;
    if (name == "gelu" || name == "gelu_python") return Act::gelu;
    if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast" || name == "gelu_tanh")
        return Act::gelu_tanh;
    if (name == "quick_gelu") return Act::quick_gelu;
    if (name == "silu" || name == "swish") return Act::silu;
    throw std::invalid_argument("unsupported activation '" + name + "'");
}

double act_flops_per_element(Act a) {
    switch (a) {
        case Act::relu: return 1;        // max(x, 0)
        case Act::gelu: return 5;        // 0.5 * x * (1 + erf(x / sqrt 2))
        case Act::gelu_tanh: return 9;   // 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715 x^3)))
        case Act::quick_gelu: return 5;  // x * sigmoid(1.702 x)
        case Act::silu: return 4;        // x / (1 + exp(-x))
    }
    return 0;
}

GraphBuilder::GraphBuilder(OpGraph& graph, const RunSpec& run) : g_(graph), run_(run) {}

GraphBuilder::Scope::Scope(GraphBuilder& b, const std::string& name, std::optional<std::string> component,
                           std::optional<int> layer)
    : b_(b), prefix_len_(b.prefix_.size()), component_(b.component_), layer_(b.layer_) {
    if (!name.empty()) b_.prefix_ += (b_.prefix_.empty() ? "" : ".") + name;
    if (component) b_.component_ = *component;
    if (layer) b_.layer_ = *layer;
}

GraphBuilder::Scope::~Scope() {
    b_.prefix_.resize(prefix_len_);
    b_.component_ = component_;
    b_.layer_ = layer_;
}

std::string GraphBuilder::qualified(const std::string& leaf) const {
    return prefix_.empty() ? leaf : prefix_ + "." + leaf;
}

DType GraphBuilder::small_param_dtype() const {
    if (bits_per_element(run_.precision.weights) >= 16) return run_.precision.weights;
    if (bits_per_element(run_.precision.activations) >= 16) return run_.precision.activations;
    return DType::bf16;
}

Val GraphBuilder::input(const std::string& name, Shape shape, DType dtype) {
    const ValueId id = g_.add_input(TensorRef{qualified(name), shape, dtype, TensorClass::activation});
    return Val{id, std::move(shape), dtype};
}

Val GraphBuilder::view(const Val& v, Shape shape) const {
    assert(element_count(shape) == element_count(v.shape) && "view must keep the element count");
    return Val{v.id, std::move(shape), v.dtype};
}

Val GraphBuilder::slice(const Val& v, Shape shape) const {
    assert(element_count(shape) <= element_count(v.shape) && "a slice cannot be larger than its value");
    return Val{v.id, std::move(shape), v.dtype};
}

TensorRef GraphBuilder::weight(const std::string& leaf, Shape shape, ModuleGroup group, DType dtype,
                               double active_fraction) {
    Weight w{qualified(leaf), shape, dtype, group, component_, layer_, active_fraction, trainable_};
    g_.add_weight(w);
    return TensorRef{w.name, std::move(shape), dtype, TensorClass::weight};
}

namespace {
TensorRef ref_of(const OpGraph& g, const Val& v) {
    return TensorRef{g.value(v.id).tensor.name, v.shape, v.dtype, TensorClass::activation};
}
}  // namespace

Op GraphBuilder::make_op(OpKind kind, const std::string& leaf, ModuleGroup group, double flops,
                        const std::vector<Val>& inputs, std::vector<TensorRef> extra_reads,
                        std::vector<TensorRef> writes) const {
    Op o;
    o.name = qualified(leaf);
    o.kind = kind;
    o.group = group;
    o.layer = layer_;
    o.component = component_;
    o.math_dtype = run_.precision.math;
    o.flops = flops;
    for (const Val& v : inputs) {
        o.reads.push_back(ref_of(g_, v));
        o.inputs.push_back(v.id);
    }
    for (auto& r : extra_reads) o.reads.push_back(std::move(r));
    o.writes = std::move(writes);
    return o;
}

Val GraphBuilder::op(OpKind kind, const std::string& leaf, ModuleGroup group, double flops,
                     const std::vector<Val>& inputs, std::vector<TensorRef> extra_reads, Shape out_shape,
                     OpDims dims, std::vector<TensorRef> extra_writes) {
    Op o = make_op(kind, leaf, group, flops, inputs, std::move(extra_reads), std::move(extra_writes));
    o.dims = std::move(dims);
    const DType out_dtype = act_dtype();
    const OpId id = g_.add_op(std::move(o), {TensorRef{qualified(leaf), out_shape, out_dtype, TensorClass::activation}});
    return Val{g_.op(id).outputs.back(), std::move(out_shape), out_dtype};
}

void GraphBuilder::sink_op(OpKind kind, const std::string& leaf, ModuleGroup group, double flops,
                           const std::vector<Val>& inputs, std::vector<TensorRef> extra_reads,
                           std::vector<TensorRef> writes) {
    g_.add_op(make_op(kind, leaf, group, flops, inputs, std::move(extra_reads), std::move(writes)));
}

Val GraphBuilder::linear(const Val& x, std::int64_t out_features, bool bias, const std::string& leaf,
                         ModuleGroup group) {
    return linear_partly_biased(x, out_features, bias ? out_features : 0, leaf, group);
}

Val GraphBuilder::linear_partly_biased(const Val& x, std::int64_t out_features, std::int64_t biased_features,
                                       const std::string& leaf, ModuleGroup group) {
    const std::int64_t in = x.last();
    const std::int64_t rows = element_count(x.shape) / in;
    std::vector<TensorRef> reads{weight(leaf + ".weight", {in, out_features}, group, matrix_weight_dtype())};
    double flops = 2.0 * rows * in * out_features;
    if (biased_features > 0) {
        reads.push_back(weight(leaf + ".bias", {biased_features}, group, small_param_dtype()));
        flops += static_cast<double>(rows) * biased_features;
    }
    Shape out = x.shape;
    out.back() = out_features;
    return op(OpKind::matmul, leaf, group, flops, {x}, std::move(reads), out, GemmDims{1, rows, out_features, in});
}

Val GraphBuilder::norm(const Val& x, Norm kind, bool bias, const std::string& leaf, ModuleGroup group) {
    const std::int64_t d = x.last();
    std::vector<TensorRef> reads{weight(leaf + ".weight", {d}, group, small_param_dtype())};
    if (bias) reads.push_back(weight(leaf + ".bias", {d}, group, small_param_dtype()));
    const double per = kind == Norm::layer ? kLayerNormFlopsPerElement : kRmsNormFlopsPerElement;
    return op(kind == Norm::layer ? OpKind::layer_norm : OpKind::rms_norm, leaf, group,
              per * static_cast<double>(element_count(x.shape)), {x}, std::move(reads), x.shape);
}

Val GraphBuilder::group_norm(const Val& x, std::int64_t groups, const std::string& leaf, ModuleGroup group) {
    const std::int64_t c = x.shape.at(1);
    if (groups <= 0 || c % groups != 0) throw std::logic_error("group_norm: channels not divisible by groups");
    std::vector<TensorRef> reads{weight(leaf + ".weight", {c}, group, small_param_dtype()),
                                 weight(leaf + ".bias", {c}, group, small_param_dtype())};
    return op(OpKind::group_norm, leaf, group, kLayerNormFlopsPerElement * static_cast<double>(element_count(x.shape)),
              {x}, std::move(reads), x.shape);
}

Val GraphBuilder::act(const Val& x, Act a, const std::string& leaf, ModuleGroup group) {
    return op(OpKind::activation, leaf, group, act_flops_per_element(a) * static_cast<double>(element_count(x.shape)),
              {x}, {}, x.shape);
}

Val GraphBuilder::gated_act(const Val& x, Act a, const std::string& leaf, ModuleGroup group) {
    Shape out = x.shape;
    out.back() /= 2;
    return op(OpKind::activation, leaf, group, (act_flops_per_element(a) + 1) * static_cast<double>(element_count(out)),
              {x}, {}, out);
}

Val GraphBuilder::add(const Val& a, const Val& b, const std::string& leaf, ModuleGroup group) {
    const Val sum = op(OpKind::elementwise, leaf, group, static_cast<double>(element_count(a.shape)), {a, b}, {}, a.shape);
    if (element_count(a.shape) == element_count(b.shape)) g_.mutable_op(*g_.value(sum.id).producer).gradient_passes_through = true;
    return sum;
}

Val GraphBuilder::dropout(const Val& x, double p, const std::string& leaf, ModuleGroup group) {
    if (p <= 0 || run_.phase != RunPhase::train) return x;
    Op o = make_op(OpKind::dropout, leaf, group, kDropoutFlopsPerElement * static_cast<double>(element_count(x.shape)),
                   {x}, {}, {});
    // PyTorch keeps the mask as one bool (byte) per element, until the backward multiplies by it.
    const OpId id = g_.add_op(std::move(o), {TensorRef{qualified(leaf), x.shape, act_dtype(), TensorClass::activation},
                                              TensorRef{qualified(leaf) + ".mask", x.shape, DType::int8, TensorClass::activation}});
    return Val{g_.op(id).outputs.front(), x.shape, act_dtype()};
}

Val GraphBuilder::scale(const Val& a, double flops_per_element, const std::string& leaf, ModuleGroup group,
                        OpKind kind) {
    return op(kind, leaf, group, flops_per_element * static_cast<double>(element_count(a.shape)), {a}, {}, a.shape);
}

Val GraphBuilder::embedding(const Val& ids, std::int64_t rows, std::int64_t dim, const std::string& leaf,
                            ModuleGroup group) {
    TensorRef table = weight(leaf + ".weight", {rows, dim}, group, small_param_dtype());
    const std::int64_t n = element_count(ids.shape);
    TensorRef gathered{table.name, {n, dim}, table.dtype, TensorClass::weight};
    Shape out = ids.shape;
    out.push_back(dim);
    return op(OpKind::embedding, leaf, group, 0, {ids}, {gathered}, out);
}

Val GraphBuilder::conv(const Val& x, std::int64_t out_channels, const std::vector<std::int64_t>& kernel,
                       const std::vector<std::int64_t>& stride, const std::vector<std::int64_t>& padding,
                       std::int64_t groups, bool bias, const std::string& leaf, ModuleGroup group) {
    const std::size_t rank = kernel.size();
    assert(x.shape.size() == rank + 2 && stride.size() == rank && padding.size() == rank);
    const std::int64_t batch = x.shape[0], in_channels = x.shape[1];
    if (in_channels % groups != 0 || out_channels % groups != 0)
        throw std::logic_error("conv: channels not divisible by groups");
    ConvDims dims{batch, in_channels, out_channels, groups, {}, kernel, stride, {}};
    Shape out{batch, out_channels};
    std::int64_t out_pixels = 1, kernel_elems = 1;
    for (std::size_t i = 0; i < rank; ++i) {
        const std::int64_t in = x.shape[i + 2];
        const std::int64_t o = (in + 2 * padding[i] - kernel[i]) / stride[i] + 1;
        dims.in_spatial.push_back(in);
        dims.out_spatial.push_back(o);
        out.push_back(o);
        out_pixels *= o;
        kernel_elems *= kernel[i];
    }
    Shape wshape{out_channels, in_channels / groups};
    wshape.insert(wshape.end(), kernel.begin(), kernel.end());
    std::vector<TensorRef> reads{weight(leaf + ".weight", wshape, group, matrix_weight_dtype())};
    double flops = 2.0 * batch * out_channels * out_pixels * (in_channels / groups) * kernel_elems;
    if (bias) {
        reads.push_back(weight(leaf + ".bias", {out_channels}, group, small_param_dtype()));
        flops += static_cast<double>(batch) * out_channels * out_pixels;
    }
    return op(rank == 1 ? OpKind::conv1d : OpKind::conv2d, leaf, group, flops, {x}, std::move(reads), out, dims);
}

Val GraphBuilder::pool(const Val& x, Shape out_shape, const std::string& leaf, ModuleGroup group) {
    return op(OpKind::pooling, leaf, group, static_cast<double>(element_count(x.shape)), {x}, {}, std::move(out_shape));
}

Val GraphBuilder::concat(const std::vector<Val>& parts, std::size_t axis, const std::string& leaf, ModuleGroup group) {
    assert(!parts.empty());
    Shape out = parts.front().shape;
    out[axis] = 0;
    for (const Val& p : parts) out[axis] += p.shape[axis];
    return op(OpKind::memcpy, leaf, group, 0, parts, {}, out);
}

namespace {
// The sizes of one attention call.
struct AttentionSizes {
    std::int64_t batch, seq_q, seq_new, keys, past_read, kv_width;
    double qk_flops, score_elems;
};

AttentionSizes attention_sizes(const AttentionCall& c) {
    AttentionSizes s{};
    s.batch = c.q.shape.at(0);
    s.seq_q = c.q.shape.at(1);
    s.seq_new = c.k.shape.at(1);
    assert(c.q.last() == c.heads * c.head_dim && c.k.last() == c.kv_heads * c.head_dim);
    const std::int64_t total_kv = c.past_kv + s.seq_new;
    // A sliding window bounds the keys each query sees and the cache kept (a rolling buffer).
    s.keys = c.window > 0 ? std::min(total_kv, c.window) : total_kv;
    s.past_read = c.window > 0 ? std::min(c.past_kv, c.window) : c.past_kv;
    s.kv_width = c.kv_heads * c.head_dim;
    s.qk_flops = 2.0 * s.batch * c.heads * s.seq_q * s.keys * c.head_dim;
    s.score_elems = static_cast<double>(s.batch) * c.heads * s.seq_q * s.keys;
    return s;
}

// `tokens` cached tokens of K or V (`name` is "<attention op>.k_cache" or ".v_cache").
TensorRef cache_ref(std::string name, const AttentionSizes& s, std::int64_t tokens, DType dtype) {
    return TensorRef{std::move(name), {s.batch, tokens, s.kv_width}, dtype, TensorClass::kv_cache};
}
}  // namespace

void GraphBuilder::set_fused_attention_cost(Op& o, const AttentionCall& c) const {
    const AttentionSizes s = attention_sizes(c);
    o.reads.resize(o.inputs.size());  // the inputs' reads come first (make_op)
    if (s.past_read > 0) {
        o.reads.push_back(cache_ref(o.name + ".k_cache", s, s.past_read, run_.precision.kv_cache));
        o.reads.push_back(cache_ref(o.name + ".v_cache", s, s.past_read, run_.precision.kv_cache));
    }
    const double bias_flops = c.score_bias ? s.score_elems : 0.0;
    o.flops = 2 * s.qk_flops + kSoftmaxFlopsPerElement * s.score_elems + bias_flops;
    o.dims = AttentionDims{s.batch, c.heads, c.kv_heads, s.seq_q, s.keys, c.head_dim, c.causal};
}

Val GraphBuilder::attention(const AttentionCall& c, const std::string& leaf) {
    const AttentionSizes s = attention_sizes(c);
    const DType kv_dtype = run_.precision.kv_cache;

    if (c.cache_new_kv) {
        sink_op(OpKind::memcpy, leaf + ".kv_append", ModuleGroup::attention, 0, {c.k, c.v}, {},
                {cache_ref(qualified(leaf + ".k_cache"), s, s.seq_new, kv_dtype),
                 cache_ref(qualified(leaf + ".v_cache"), s, s.seq_new, kv_dtype)});
    }
    const Shape out{s.batch, s.seq_q, c.heads * c.head_dim};

    if (run_.attention == AttentionImpl::fused) {
        std::vector<Val> inputs{c.q, c.k, c.v};
        if (c.score_bias) inputs.push_back(*c.score_bias);
        const Val o = op(OpKind::attention, leaf, ModuleGroup::attention, 0, inputs, {}, out);
        const OpId id = *g_.value(o.id).producer;
        set_fused_attention_cost(g_.mutable_op(id), c);
        if (c.cache_new_kv) growing_attention_.push_back({id, c});
        return o;
    }
    std::vector<TensorRef> past_k, past_v;
    if (s.past_read > 0) {
        past_k.push_back(cache_ref(qualified(leaf + ".k_cache"), s, s.past_read, kv_dtype));
        past_v.push_back(cache_ref(qualified(leaf + ".v_cache"), s, s.past_read, kv_dtype));
    }
    const std::int64_t batch = s.batch, seq_q = s.seq_q, keys = s.keys;
    Val scores = op(OpKind::batched_matmul, leaf + ".scores", ModuleGroup::attention, s.qk_flops, {c.q, c.k}, past_k,
                    {batch, c.heads, seq_q, keys}, GemmDims{batch * c.heads, seq_q, keys, c.head_dim});
    if (c.score_bias)
        scores = op(OpKind::elementwise, leaf + ".position_bias_add", ModuleGroup::attention, s.score_elems,
                    {scores, *c.score_bias}, {}, scores.shape);
    const Val probs = dropout(op(OpKind::softmax, leaf + ".softmax", ModuleGroup::attention,
                                 kSoftmaxFlopsPerElement * s.score_elems, {scores}, {}, scores.shape),
                              c.dropout, leaf + ".dropout", ModuleGroup::attention);
    return op(OpKind::batched_matmul, leaf + ".context", ModuleGroup::attention, s.qk_flops, {probs, c.v}, past_v, out,
              GemmDims{batch * c.heads, seq_q, c.head_dim, keys});
}

void GraphBuilder::extend_kv_cache(OpGraph& copy, std::int64_t extra_tokens) const {
    for (const auto& [id, call] : growing_attention_) {
        AttentionCall c = call;
        c.past_kv += extra_tokens;
        set_fused_attention_cost(copy.mutable_op(id), c);
    }
}

std::vector<DecodeSample> sample_decode_steps(std::int64_t first_context, std::int64_t count,
                                              std::int64_t max_samples) {
    std::vector<DecodeSample> out;
    if (count <= 0) return out;
    const std::int64_t runs = max_samples > 0 ? std::min(count, max_samples) : count;
    out.reserve(static_cast<std::size_t>(runs));
    for (std::int64_t r = 0; r < runs; ++r) {
        // Steps [lo, hi) of the generation; run lengths differ by at most one.
        const std::int64_t lo = r * count / runs, hi = (r + 1) * count / runs;
        out.push_back(DecodeSample{first_context + (lo + hi - 1) / 2, hi - lo, first_context + hi - 1});
    }
    return out;
}

std::vector<DecodeStepGraph> decode_step_graphs(const RunSpec& run, std::int64_t context, std::int64_t count,
                                                const std::function<void(GraphBuilder&, std::int64_t context)>& emit) {
    std::vector<DecodeStepGraph> steps;
    const auto samples = sample_decode_steps(context, count, run.max_decode_samples);
    if (samples.empty()) return steps;
    steps.reserve(samples.size());
    if (run.attention != AttentionImpl::fused) {
        for (const DecodeSample& s : samples) {
            auto g = std::make_shared<OpGraph>();
            GraphBuilder b(*g, run);
            emit(b, s.context);
            steps.push_back({s, std::move(g)});
        }
        return steps;
    }
    auto first = std::make_shared<OpGraph>();
    GraphBuilder b(*first, run);
    emit(b, samples.front().context);
    steps.push_back({samples.front(), first});
    for (std::size_t i = 1; i < samples.size(); ++i) {
        auto g = std::make_shared<OpGraph>(*first);
        b.extend_kv_cache(*g, samples[i].context - samples.front().context);
        steps.push_back({samples[i], std::move(g)});
    }
    return steps;
}

Val GraphBuilder::cross_entropy(const Val& logits, const std::string& leaf) {
    const double n = static_cast<double>(element_count(logits.shape));
    Shape out = logits.shape;
    out.pop_back();
    // Softmax over the vocabulary plus one log and one pick per row.
    return op(OpKind::softmax, leaf, ModuleGroup::head, kSoftmaxFlopsPerElement * n + 2.0 * element_count(out),
              {logits}, {}, out);
}

}  // namespace fmsim::workloads
