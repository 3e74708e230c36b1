#include "accessibility/speech.hpp"

#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <utility>

namespace kiosk::accessibility {

namespace {

// espeak-ng keeps its state in globals: one engine, one owner at a time.
struct Engine {
    std::mutex mutex;
    bool initialised = false;
    SpeechOutput output = SpeechOutput::Device;
    std::string error;
    int sampleRate = 0;
    bool owned = false;
};

Engine& engine() {
    static Engine e;
    return e;
}

std::string statusText(espeak_ng_STATUS status) {
    char buf[256] = {};
    espeak_ng_GetStatusCodeMessage(status, buf, sizeof buf);
    return buf;
}

// Capture mode synthesises on the Speaker's thread, so the callback finds
// where to put the samples through a thread-local; in Device mode espeak-ng
// calls it from its own thread with events only, and it does nothing.
struct CaptureTarget {
    std::vector<std::int16_t>* samples = nullptr;
    const std::atomic<std::uint64_t>* generation = nullptr;
    std::uint64_t mine = 0;
};
thread_local CaptureTarget* t_target = nullptr;

int onSynth(short* wav, int count, espeak_EVENT*) {
    CaptureTarget* t = t_target;
    if (!t) return 0;
    if (t->generation->load() != t->mine) return 1;  // interrupted: stop synthesising
    if (wav && count > 0) t->samples->insert(t->samples->end(), wav, wav + count);
    return 0;
}

void putLe(std::ofstream& out, std::uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.put(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::uint32_t getLe(const unsigned char* p, int bytes) {
    std::uint32_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

} // namespace

Speaker::Speaker(SpeechOutput output) : m_output(output) {
    // Loading voices takes a moment: the thread does it, so even the first
    // utterance never holds up the frame that asked for it.
    m_thread = std::thread([this] {
        if (start()) run();
    });
}

bool Speaker::start() {
    std::string error;
    int rate = 0;
    {
        Engine& e = engine();
        std::lock_guard lock(e.mutex);
        if (e.owned) {
            error = "another speaker is already using espeak-ng";
        } else {
            if (!e.initialised) {
                espeak_ng_InitializePath(nullptr);
                espeak_ng_ERROR_CONTEXT context = nullptr;
                espeak_ng_STATUS status = espeak_ng_Initialize(&context);
                espeak_ng_ClearErrorContext(&context);
                if (status != ENS_OK) {
                    e.error = "espeak-ng could not start: " + statusText(status);
                } else {
                    auto mode = m_output == SpeechOutput::Device ? ENOUTPUT_MODE_SPEAK_AUDIO : ENOUTPUT_MODE_SYNCHRONOUS;
                    status = espeak_ng_InitializeOutput(mode, 0, nullptr);
                    if (status != ENS_OK) e.error = "espeak-ng has no audio output: " + statusText(status);
                    espeak_SetSynthCallback(onSynth);
                    e.sampleRate = espeak_ng_GetSampleRate();
                }
                e.initialised = true;
                e.output = m_output;
            }
            if (!e.error.empty()) error = e.error;
            else if (e.output != m_output) error = "espeak-ng is already running in the other output mode in this process";
            else {
                e.owned = true;
                m_owner = true;
                rate = e.sampleRate;
            }
        }
    }
    // espeak-ng plays into nothing, silently, when there is no sound device:
    // look first, so the screen can say so.
    std::string noDevice = error.empty() && m_output == SpeechOutput::Device ? audioOutputProblem() : std::string();
    {
        std::lock_guard lock(m_mutex);
        m_error = error;
        m_sampleRate = rate;
        m_started = true;
        if (!error.empty()) {
            m_queue.clear();
            m_status = {SpeechProblem::NoEngine, error};
        } else if (!noDevice.empty()) {
            m_status = {SpeechProblem::NoDevice, noDevice};
        }
    }
    m_idle.notify_all();
    return error.empty();
}

Speaker::~Speaker() {
    {
        std::lock_guard lock(m_mutex);
        m_quit = true;
        m_queue.clear();
        ++m_generation;
    }
    m_wake.notify_all();
    if (m_thread.joinable()) m_thread.join();
    if (m_owner) {
        std::lock_guard lock(engine().mutex);
        engine().owned = false;
    }
}

bool Speaker::available() const {
    std::lock_guard lock(m_mutex);
    return m_error.empty();
}

std::string Speaker::error() const {
    std::lock_guard lock(m_mutex);
    return m_error;
}

int Speaker::sampleRate() const {
    std::lock_guard lock(m_mutex);
    return m_sampleRate;
}

void Speaker::speak(Utterance u, Interrupt interrupt) {
    {
        std::lock_guard lock(m_mutex);
        if (!m_error.empty() || m_quit) return;
        bool cancel = interrupt == Interrupt::Yes;
        if (cancel) {
            m_queue.clear();
            ++m_generation;
        }
        m_queue.emplace_back(std::move(u), cancel);
    }
    m_wake.notify_one();
}

void Speaker::stop() {
    {
        std::lock_guard lock(m_mutex);
        if (!m_error.empty() || m_quit) return;
        m_queue.clear();
        ++m_generation;
        m_queue.emplace_back(Utterance{}, true);  // an empty utterance that only cancels
    }
    m_wake.notify_one();
}

bool Speaker::waitUntilIdle(std::chrono::milliseconds limit) {
    std::unique_lock lock(m_mutex);
    return m_idle.wait_for(lock, limit, [this] { return m_started && m_queue.empty() && !m_busy; });
}

std::vector<std::int16_t> Speaker::takeCaptured() {
    std::lock_guard lock(m_mutex);
    return std::exchange(m_captured, {});
}

std::string Speaker::lastVoiceName() const {
    std::lock_guard lock(m_mutex);
    return m_voiceName;
}

std::string Speaker::lastVoiceLanguage() const {
    std::lock_guard lock(m_mutex);
    return m_voiceLanguage;
}

void Speaker::run() {
    for (;;) {
        std::pair<Utterance, bool> item;
        std::uint64_t generation = 0;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_quit || !m_queue.empty(); });
            if (m_quit) break;
            item = std::move(m_queue.front());
            m_queue.pop_front();
            m_busy = true;
            generation = m_generation.load();
        }
        if (m_output == SpeechOutput::Device && item.second) espeak_ng_Cancel();
        if (!item.first.text.empty()) synthesise(item.first, generation);
        {
            std::lock_guard lock(m_mutex);
            m_busy = false;
        }
        m_idle.notify_all();
    }
    if (m_output == SpeechOutput::Device) espeak_ng_Cancel();
}

void Speaker::synthesise(const Utterance& u, std::uint64_t generation) {
    if (u.language != m_currentLanguage) {
        espeak_VOICE spec;
        std::memset(&spec, 0, sizeof spec);
        spec.languages = u.language.c_str();
        if (espeak_ng_SetVoiceByProperties(&spec) == ENS_OK) {
            m_currentLanguage = u.language;
            std::lock_guard lock(m_mutex);
            if (m_status.problem == SpeechProblem::NoVoice) m_status = {};
        } else {
            std::lock_guard lock(m_mutex);
            if (m_status.problem != SpeechProblem::NoDevice) m_status = {SpeechProblem::NoVoice, u.language};
        }
        if (const espeak_VOICE* v = espeak_GetCurrentVoice()) {
            std::lock_guard lock(m_mutex);
            m_voiceName = v->name ? v->name : "";
            // "languages" is a priority byte, then the name, per espeak_VOICE's documentation.
            m_voiceLanguage = v->languages && v->languages[0] ? v->languages + 1 : "";
        }
    }
    espeak_ng_SetParameter(espeakRATE, std::clamp(u.rate, static_cast<int>(espeakRATE_MINIMUM), static_cast<int>(espeakRATE_MAXIMUM)), 0);
    std::vector<std::int16_t> samples;
    CaptureTarget target{&samples, &m_generation, generation};
    t_target = m_output == SpeechOutput::Capture ? &target : nullptr;
    for (int attempt = 0; attempt < 100; ++attempt) {
        espeak_ng_STATUS status = espeak_ng_Synthesize(u.text.c_str(), u.text.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, nullptr, nullptr);
        if (status != ENS_OK && status != ENS_FIFO_BUFFER_FULL) {
            std::lock_guard lock(m_mutex);
            if (m_status.problem == SpeechProblem::None) m_status = {SpeechProblem::Failed, statusText(status)};
        }
        if (status != ENS_FIFO_BUFFER_FULL || m_generation.load() != generation) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // this thread only; the UI never waits
    }
    t_target = nullptr;
    if (!samples.empty() && m_generation.load() == generation) {
        std::lock_guard lock(m_mutex);
        m_captured.insert(m_captured.end(), samples.begin(), samples.end());
    }
}

bool writeWav(const std::filesystem::path& file, std::span<const std::int16_t> samples, int sampleRate) {
    std::ofstream out(file, std::ios::binary);
    if (!out) return false;
    auto dataBytes = static_cast<std::uint32_t>(samples.size() * 2);
    out.write("RIFF", 4);
    putLe(out, 36 + dataBytes, 4);
    out.write("WAVEfmt ", 8);
    putLe(out, 16, 4);  // PCM header size
    putLe(out, 1, 2);   // PCM
    putLe(out, 1, 2);   // mono
    putLe(out, static_cast<std::uint32_t>(sampleRate), 4);
    putLe(out, static_cast<std::uint32_t>(sampleRate) * 2, 4);
    putLe(out, 2, 2);
    putLe(out, 16, 2);
    out.write("data", 4);
    putLe(out, dataBytes, 4);
    for (std::int16_t s : samples) putLe(out, static_cast<std::uint16_t>(s), 2);
    return static_cast<bool>(out.flush());
}

std::vector<std::int16_t> readWav(const std::filesystem::path& file, int* sampleRate) {
    std::ifstream in(file, std::ios::binary);
    std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() < 44 || std::memcmp(bytes.data(), "RIFF", 4) != 0 || std::memcmp(bytes.data() + 8, "WAVE", 4) != 0) return {};
    std::size_t pos = 12;
    bool pcm16mono = false;
    while (pos + 8 <= bytes.size()) {
        std::uint32_t size = getLe(bytes.data() + pos + 4, 4);
        const unsigned char* body = bytes.data() + pos + 8;
        if (std::memcmp(bytes.data() + pos, "fmt ", 4) == 0 && size >= 16) {
            pcm16mono = getLe(body, 2) == 1 && getLe(body + 2, 2) == 1 && getLe(body + 14, 2) == 16;
            if (sampleRate) *sampleRate = static_cast<int>(getLe(body + 4, 4));
        } else if (std::memcmp(bytes.data() + pos, "data", 4) == 0) {
            if (!pcm16mono) return {};
            std::size_t n = std::min<std::size_t>(size, bytes.size() - pos - 8) / 2;
            std::vector<std::int16_t> out(n);
            for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::int16_t>(getLe(body + 2 * i, 2));
            return out;
        }
        pos += 8 + size + (size & 1);
    }
    return {};
}

SignalLevel measure(std::span<const std::int16_t> samples, int sampleRate) {
    SignalLevel level;
    if (samples.empty() || sampleRate <= 0) return level;
    double sum = 0;
    int peak = 0;
    for (std::int16_t s : samples) {
        sum += static_cast<double>(s) * s;
        peak = std::max(peak, std::abs(static_cast<int>(s)));
    }
    level.rms = std::sqrt(sum / static_cast<double>(samples.size())) / 32768.0;
    level.peak = peak / 32768.0;
    std::size_t block = static_cast<std::size_t>(sampleRate / 100), blocks = 0, voiced = 0;
    for (std::size_t i = 0; block > 0 && i + block <= samples.size(); i += block, ++blocks) {
        double b = 0;
        for (std::size_t j = i; j < i + block; ++j) b += static_cast<double>(samples[j]) * samples[j];
        if (std::sqrt(b / static_cast<double>(block)) / 32768.0 > 0.01) ++voiced;  // -40 dBFS
    }
    level.voicedShare = blocks ? static_cast<double>(voiced) / static_cast<double>(blocks) : 0.0;
    return level;
}

} // namespace kiosk::accessibility

namespace kiosk::accessibility {

void OnDemandSpeaker::speak(Utterance u, Interrupt interrupt) {
    if (!m_speaker) m_speaker = std::make_unique<Speaker>(SpeechOutput::Device);
    m_speaker->speak(std::move(u), interrupt);
}

void OnDemandSpeaker::stop() {
    if (m_speaker) m_speaker->stop();
}

std::string OnDemandSpeaker::error() const { return m_speaker ? m_speaker->error() : std::string(); }

SpeechStatus OnDemandSpeaker::status() const { return m_speaker ? m_speaker->status() : SpeechStatus{}; }

SpeechStatus Speaker::status() const {
    std::lock_guard lock(m_mutex);
    return m_status;
}

std::string audioOutputProblem(const std::filesystem::path& asoundPcm, const std::filesystem::path& runtimeDir) {
    std::error_code ec;
    if (!runtimeDir.empty() && (std::filesystem::exists(runtimeDir / "pulse" / "native", ec) || std::filesystem::exists(runtimeDir / "pipewire-0", ec)))
        return {};
    std::ifstream pcm(asoundPcm);
    std::string line;
    while (std::getline(pcm, line))
        if (line.find("playback") != std::string::npos) return {};
    return "no sound device: no ALSA playback device, and no PulseAudio or PipeWire";
}

std::string audioOutputProblem() {
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    return audioOutputProblem("/proc/asound/pcm", runtime ? std::filesystem::path(runtime) : std::filesystem::path());
}

} // namespace kiosk::accessibility
