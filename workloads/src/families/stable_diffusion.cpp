// Stable Diffusion (Rombach et al. 2022, "High-Resolution Image Synthesis with Latent Diffusion
// Models") as diffusers' StableDiffusionPipeline runs it: a CLIP text encoder, a conditional U-Net
// run once per denoising step with a scheduler update after it, and the decoder of a KL
// autoencoder. docs/families/diffusion.md describes the graphs, the FLOP formulas and the sources.

#include "../family.hpp"
#include "clip.hpp"
#include "unet.hpp"
#include "vae.hpp"

namespace fmsim::workloads {

namespace {

// The scheduler_config.json of the pipeline: which update equation runs after each U-Net call and
// what the U-Net predicts (which also sets the training target).
struct SchedulerSpec {
    std::string class_name;
    std::string prediction_type;
    std::optional<bool> clip_sample;
    bool thresholding = false;
};

const std::vector<std::string> kSchedulers = {"DDIMScheduler", "EulerDiscreteScheduler"};

const Schema<SchedulerSpec>& scheduler_schema() {
    static const auto s = [] {
        Schema<SchedulerSpec> s("scheduler",
                                "The sampler of a stable_diffusion model (diffusers scheduler_config.json). Its class "
                                "picks the per-step update equation; prediction_type says what the U-Net predicts.");
        s.choice("_class_name", &SchedulerSpec::class_name, kSchedulers, "DDIMScheduler",
                 "DDIMScheduler (Song et al. 2021, eta = 0) or EulerDiscreteScheduler (Karras et al. 2022, "
                 "Algorithm 2 without churn).")
            .choice("prediction_type", &SchedulerSpec::prediction_type, {"epsilon", "v_prediction", "sample"},
                    "epsilon",
                    "The U-Net predicts the noise, the velocity v = sqrt(a) eps - sqrt(1-a) x0 (Salimans & Ho "
                    "2022), or the clean sample. Sets the conversion FLOPs of each step and the training target.")
            .custom("clip_sample", "boolean", "true for DDIMScheduler",
                    "DDIM clamps the predicted clean sample (one op per element).",
                    [](SchedulerSpec& c, const json& j, const ConfigContext& at) { c.clip_sample = schema_detail::read_bool(j, at); },
                    [](SchedulerSpec& c) { c.clip_sample = std::nullopt; })
            .boolean("thresholding", &SchedulerSpec::thresholding, false,
                     "Dynamic thresholding (Imagen) is not modelled; must be false.");
        for (const char* k : {"num_train_timesteps", "beta_start", "beta_end", "beta_schedule", "trained_betas",
                              "set_alpha_to_one", "steps_offset", "skip_prk_steps", "timestep_spacing",
                              "rescale_betas_zero_snr", "dynamic_thresholding_ratio", "clip_sample_range",
                              "sample_max_value", "interpolation_type", "use_karras_sigmas", "use_exponential_sigmas",
                              "use_beta_sigmas", "sigma_min", "sigma_max", "final_sigmas_type", "timestep_type"})
            s.ignored(k, "noise schedule constants: they change the scalars of each step, not its operations");
        s.ignored("_diffusers_version", "library version");
        return s;
    }();
    return s;
}

SchedulerSpec parse_scheduler(const json& j, const ConfigContext& ctx) {
    SchedulerSpec spec = scheduler_schema().parse(j, ctx);
    if (spec.thresholding) ctx.at("thresholding").fail("expected false: dynamic thresholding is not modelled");
    if (spec.class_name == "EulerDiscreteScheduler" && spec.clip_sample.value_or(false))
        ctx.at("clip_sample").fail("expected false: EulerDiscreteScheduler does not clip");
    // diffusers' DDIMScheduler clips by default (clip_sample=True).
    if (!spec.clip_sample) spec.clip_sample = spec.class_name == "DDIMScheduler";
    return spec;
}

bool is_euler(const SchedulerSpec& s) { return s.class_name == "EulerDiscreteScheduler"; }

// FLOPs per latent element of one scheduler step, counted from the update equations as diffusers
// writes them (scalars such as sqrt(alpha_bar_t) are per step, not per element).
double scheduler_step_flops_per_element(const SchedulerSpec& s) {
    const bool eps = s.prediction_type == "epsilon", v = s.prediction_type == "v_prediction";
    if (is_euler(s)) {
        // EulerDiscreteScheduler.step (Karras et al. 2022, Algorithm 2, s_churn = 0, so sigma_hat = sigma):
        //   x0 = x - sigma * eps                               (2; epsilon)
        //   x0 = v * (-sigma / sqrt(sigma^2 + 1)) + x / (sigma^2 + 1)   (3; v_prediction)
        //   x0 = model output                                  (0; sample)
        //   d = (x - x0) / sigma                               (2)
        //   x_next = x + d * (sigma_next - sigma)              (2)
        return (eps ? 2 : v ? 3 : 0) + 2 + 2;
    }
    // DDIMScheduler.step with eta = 0 (Song et al. 2021, eq. 12):
    //   x0 = (x - sqrt(1-a_t) eps) / sqrt(a_t)   (3; epsilon)  or  sqrt(a_t) x - sqrt(1-a_t) v (3; v)
    //   eps = sqrt(a_t) v + sqrt(1-a_t) x        (3; v)  or  (x - sqrt(a_t) x0) / sqrt(1-a_t) (3; sample)
    //   clamp(x0) if clip_sample                 (1)
    //   x_prev = sqrt(a_prev) x0 + sqrt(1-a_prev) eps   (3)
    const double to_x0 = eps || v ? 3 : 0;
    const double to_eps = eps ? 0 : 3;
    return to_x0 + to_eps + (s.clip_sample.value_or(false) ? 1 : 0) + 3;
}

// Classifier-free guidance (Ho & Salimans 2022): uncond + g * (cond - uncond), 3 per element.
constexpr double kGuidanceFlopsPerElement = 3;
// Sampling the latent in training (diffusers DiagonalGaussianDistribution): clamp the log-variance
// (1), std = exp(0.5 logvar) (2), var = exp(logvar) (1), mean + std * noise (2), then the
// scaling_factor multiply of train_text_to_image.py (1).
constexpr double kLatentSampleFlopsPerElement = 7;
// DDPMScheduler.add_noise: sqrt(a) x0 + sqrt(1-a) eps; get_velocity: sqrt(a) eps - sqrt(1-a) x0.
constexpr double kAddNoiseFlopsPerElement = 3;
constexpr double kVelocityFlopsPerElement = 3;
// F.mse_loss(reduction="mean"): subtract, square, sum (the final divide is one op).
constexpr double kMseFlopsPerElement = 3;
// VaeImageProcessor.denormalize: (x / 2 + 0.5).clamp(0, 1).
constexpr double kDenormalizeFlopsPerElement = 3;

// The zoo/HF file: diffusers' model_index.json with each component's [library, class] pair
// replaced by that component's config.json, plus the pipeline call defaults.
struct PipelineConfig {
    ClipTowerArch text;
    UNetArch unet;
    VaeArch vae;
    SchedulerSpec scheduler;
    std::int64_t steps = 0;
    double guidance_scale = 0;
};

const Schema<PipelineConfig>& pipeline_schema() {
    static const auto s = [] {
        Schema<PipelineConfig> s(
            "stable_diffusion",
            "Stable Diffusion text-to-image pipelines (diffusers StableDiffusionPipeline): diffusers' "
            "model_index.json with each component's [library, class] pair replaced by the component's "
            "config.json, plus the call defaults num_inference_steps and guidance_scale.");
        s.ignored("model_type", "selects the family")
            .object<ClipTowerArch>("text_encoder", &PipelineConfig::text, parse_clip_text_config,
                                   "object (CLIPTextConfig)",
                                   "The text encoder's config.json (transformers CLIPTextModel); its last hidden "
                                   "states are the U-Net's cross-attention context.")
            .object<UNetArch>("unet", &PipelineConfig::unet, parse_unet_config, "object (UNet2DConditionModel)",
                              "The U-Net's config.json.")
            .object<VaeArch>("vae", &PipelineConfig::vae, parse_vae_config, "object (AutoencoderKL)",
                             "The autoencoder's config.json.")
            .custom("scheduler", "object (scheduler_config.json)", "DDIMScheduler with diffusers' defaults",
                    "The scheduler's config: update equation and prediction type.",
                    [](PipelineConfig& c, const json& j, const ConfigContext& at) {
                        if (!j.is_object()) at.fail("expected an object, got " + json_type_name(j));
                        c.scheduler = parse_scheduler(j, at);
                    },
                    [](PipelineConfig& c) { c.scheduler = parse_scheduler(json::object(), ConfigContext{}); })
            // diffusers StableDiffusionPipeline.__call__ defaults: num_inference_steps=50, guidance_scale=7.5.
            .integer("num_inference_steps", &PipelineConfig::steps, 50, "steps",
                     "Denoising steps of the sample phase (RunSpec steps overrides it); diffusers' default.")
            .number("guidance_scale", &PipelineConfig::guidance_scale, 7.5, "",
                    "Classifier-free guidance weight; above 1 the U-Net runs on 2 x batch latents per step (the "
                    "prompts and empty prompts) and the text encoder encodes both. diffusers' default.")
            .ignored("_class_name", "diffusers pipeline class")
            .ignored("_diffusers_version", "library version")
            .ignored("_name_or_path", "checkpoint name")
            .ignored("tokenizer", "runs on the host before the text encoder; no accelerator cost")
            .ignored("feature_extractor", "preprocessing of the safety checker")
            .ignored("safety_checker", "an optional post-hoc image filter outside generation (Stable Diffusion 2.1 "
                                       "ships none); not modelled")
            .ignored("requires_safety_checker", "pipeline flag")
            .ignored("image_encoder", "IP-Adapter image prompts; not part of text-to-image generation");
        return s;
    }();
    return s;
}

class StableDiffusionModel final : public Model {
public:
    explicit StableDiffusionModel(PipelineConfig c) : c_(std::move(c)) {}
    std::string family() const override { return "stable_diffusion"; }
    RunPhase default_phase() const override { return RunPhase::sample; }

    RunSpec resolve(RunSpec run) const override {
        require_phase(run, {RunPhase::sample, RunPhase::train}, "a Stable Diffusion pipeline");
        // The pipeline pads every prompt to the text encoder's full context (77 tokens);
        // input_len models a shorter one.
        run.input_len = positive_or(run.input_len, c_.text.max_positions);
        require_positions(run.input_len, c_.text.max_positions, "the CLIP text encoder");
        if (run.output_len > 0)
            throw ScenarioError("output_len does not apply to a Stable Diffusion pipeline (it makes images; batch "
                                "is the number of images)");
        if (run.phase == RunPhase::train) {
            if (run.steps > 0)
                throw ScenarioError("steps applies to phase sample; a training step runs the U-Net once");
        } else {
            run.steps = positive_or(run.steps, c_.steps);
        }
        return run;
    }

protected:
    std::vector<Stage> build_inference(const RunSpec& run) const override {
        return {Stage{"text_encoder", text_encoder_graph(run), 1}, Stage{"unet", denoise_step_graph(run), run.steps},
                Stage{"vae_decoder", vae_decoder_graph(run), 1}};
    }

    OpGraph build_training_forward(const RunSpec& run) const override {
        OpGraph g;
        GraphBuilder b(g, run);
        const std::int64_t n = run.batch, lat = c_.vae.latent_channels, side = c_.unet.sample_size;
        const std::int64_t image = side * c_.vae.downscale();
        const std::int64_t latent_elems = n * lat * side * side;
        const Shape latent_shape{n, lat, side, side};
        // The text encoder and the autoencoder are frozen: no gradients, no optimizer states.
        b.set_trainable(false);
        Val context;
        {
            auto s = b.scope("text_encoder.text_model", std::string("text_encoder"));
            context = emit_clip_text(b, c_.text, n, run.input_len);
        }
        Val latents;
        {
            auto s = b.scope("vae", std::string("vae"));
            BlockCounter blocks;
            const Val pixels = b.input("pixel_values", {n, c_.vae.in_channels, image, image}, b.act_dtype());
            const Val moments = emit_vae_encoder(b, c_.vae, pixels, blocks);
            latents = b.op(OpKind::elementwise, "latent_dist.sample", ModuleGroup::other,
                           kLatentSampleFlopsPerElement * static_cast<double>(latent_elems), {moments}, {},
                           latent_shape);
        }
        // The decoder is loaded (frozen) but a training step does not run it.
        register_vae_half(g, run, false, /*encoder=*/false);
        b.set_trainable(true);
        Val noisy, target;
        {
            auto s = b.scope("", std::string("scheduler"));
            const Val noise = b.input("noise", latent_shape, b.act_dtype());
            noisy = b.op(OpKind::elementwise, "add_noise", ModuleGroup::other,
                         kAddNoiseFlopsPerElement * static_cast<double>(latent_elems), {latents, noise}, {},
                         latent_shape);
            if (c_.scheduler.prediction_type == "v_prediction")
                target = b.op(OpKind::elementwise, "get_velocity", ModuleGroup::other,
                              kVelocityFlopsPerElement * static_cast<double>(latent_elems), {latents, noise}, {},
                              latent_shape);
            else if (c_.scheduler.prediction_type == "sample")
                target = latents;
            else
                target = noise;
        }
        Val prediction;
        {
            auto s = b.scope("unet", std::string("unet"));
            const Val timesteps = b.input("timesteps", {n}, DType::int32);
            prediction = emit_unet(b, c_.unet, noisy, timesteps, context);
        }
        auto s = b.scope("", std::string("loss"));
        b.op(OpKind::elementwise, "mse_loss", ModuleGroup::head, kMseFlopsPerElement * static_cast<double>(latent_elems),
             {prediction, target}, {}, {1});
        return g;
    }

private:
    bool guided() const { return c_.guidance_scale > 1; }
    // Sequences the text encoder and the U-Net see: the prompts, plus as many empty prompts under
    // classifier-free guidance.
    std::int64_t conditioned_batch(const RunSpec& run) const { return guided() ? 2 * run.batch : run.batch; }

    std::shared_ptr<const OpGraph> text_encoder_graph(const RunSpec& run) const {
        auto g = std::make_shared<OpGraph>();
        GraphBuilder b(*g, run);
        auto s = b.scope("text_encoder.text_model", std::string("text_encoder"));
        emit_clip_text(b, c_.text, conditioned_batch(run), run.input_len);
        return g;
    }

    // One iteration of the denoising loop: [CFG copy], [scale_model_input], U-Net, [guidance],
    // scheduler step.
    std::shared_ptr<const OpGraph> denoise_step_graph(const RunSpec& run) const {
        auto g = std::make_shared<OpGraph>();
        GraphBuilder b(*g, run);
        const std::int64_t n = conditioned_batch(run), side = c_.unet.sample_size;
        const Shape latent_shape{run.batch, c_.unet.in_channels, side, side};
        const Val latents = b.input("latents", latent_shape, b.act_dtype());
        const Val context = b.input("encoder_hidden_states", {n, run.input_len, c_.text.block.hidden}, b.act_dtype());
        const Val timesteps = b.input("timestep", {n}, DType::int32);
        Val x = latents;
        if (guided()) {
            auto s = b.scope("", std::string("guidance"));
            x = b.concat({latents, latents}, 0, "cfg_concat", ModuleGroup::other);
        }
        if (is_euler(c_.scheduler)) {
            // EulerDiscreteScheduler.scale_model_input: x / sqrt(sigma^2 + 1).
            auto s = b.scope("", std::string("scheduler"));
            x = b.scale(x, 1, "scale_model_input", ModuleGroup::other);
        }
        Val prediction;
        {
            auto s = b.scope("unet", std::string("unet"));
            prediction = emit_unet(b, c_.unet, x, timesteps, context);
        }
        const std::int64_t out_elems = run.batch * c_.unet.out_channels * side * side;
        const Shape out_shape{run.batch, c_.unet.out_channels, side, side};
        if (guided()) {
            auto s = b.scope("", std::string("guidance"));
            prediction = b.op(OpKind::elementwise, "guidance", ModuleGroup::other,
                              kGuidanceFlopsPerElement * static_cast<double>(out_elems), {prediction}, {}, out_shape);
        }
        auto s = b.scope("", std::string("scheduler"));
        b.op(OpKind::elementwise, "step", ModuleGroup::other,
             scheduler_step_flops_per_element(c_.scheduler) * static_cast<double>(out_elems), {prediction, latents}, {},
             latent_shape);
        return g;
    }

    std::shared_ptr<const OpGraph> vae_decoder_graph(const RunSpec& run) const {
        auto g = std::make_shared<OpGraph>();
        GraphBuilder b(*g, run);
        auto s = b.scope("vae", std::string("vae"));
        const std::int64_t side = c_.unet.sample_size;
        Val z = b.input("latents", {run.batch, c_.vae.latent_channels, side, side}, b.act_dtype());
        // latents / scaling_factor (+ shift_factor).
        z = b.scale(z, c_.vae.shift_factor ? 2 : 1, "unscale_latents", ModuleGroup::other);
        BlockCounter blocks;
        const Val image = emit_vae_decoder(b, c_.vae, z, blocks);
        b.scale(image, kDenormalizeFlopsPerElement, "denormalize", ModuleGroup::other);
        // Sampling never runs the encoder, but the autoencoder's published size counts it.
        register_vae_half(*g, run, true, /*encoder=*/true);
        return g;
    }

    // Registers the weights of the autoencoder half a graph does not run (no ops), so the
    // parameter count and the weight memory do not depend on the phase: built on the smallest
    // input in a scratch graph and copied over.
    void register_vae_half(OpGraph& g, const RunSpec& run, bool trainable, bool encoder) const {
        OpGraph scratch;
        GraphBuilder b(scratch, run);
        b.set_trainable(trainable);
        auto s = b.scope("vae", std::string("vae"));
        BlockCounter blocks;
        if (encoder) {
            const std::int64_t side = c_.vae.downscale();
            emit_vae_encoder(b, c_.vae, b.input("pixel_values", {1, c_.vae.in_channels, side, side}, b.act_dtype()),
                             blocks);
        } else {
            emit_vae_decoder(b, c_.vae, b.input("latents", {1, c_.vae.latent_channels, 1, 1}, b.act_dtype()), blocks);
        }
        for (const Weight& w : scratch.weights()) g.add_weight(w);
    }

    PipelineConfig c_;
};

std::unique_ptr<Model> parse_stable_diffusion(const json& j, const ConfigContext& ctx) {
    PipelineConfig c = pipeline_schema().parse(j, ctx);
    if (c.text.block.hidden != c.unet.cross_attention_dim)
        ctx.at("unet").at("cross_attention_dim").fail(
            "expected the text encoder's hidden_size (" + std::to_string(c.text.block.hidden) + "), got " +
            std::to_string(c.unet.cross_attention_dim));
    if (c.unet.in_channels != c.vae.latent_channels)
        ctx.at("unet").at("in_channels").fail("expected the autoencoder's latent_channels (" +
                                               std::to_string(c.vae.latent_channels) + "), got " +
                                               std::to_string(c.unet.in_channels));
    if (c.unet.out_channels != c.unet.in_channels)
        ctx.at("unet").at("out_channels").fail("expected in_channels (" + std::to_string(c.unet.in_channels) +
                                                "): the scheduler updates the latent with the prediction, got " +
                                                std::to_string(c.unet.out_channels));
    return std::make_unique<StableDiffusionModel>(std::move(c));
}

const FamilyRegistrar kStableDiffusion{{"stable_diffusion", parse_stable_diffusion, [] {
                                            return std::vector<SchemaDoc>{pipeline_schema().doc(), unet_schema_doc(),
                                                                          vae_schema_doc(), scheduler_schema().doc()};
                                        }}};

}  // namespace
}  // namespace fmsim::workloads
