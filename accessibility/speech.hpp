#pragma once
// Read-aloud through espeak-ng, on its own thread: the UI hands over text and
// returns at once, so speech never holds up a frame. New focus interrupts
// what is being said; a whole-screen reading is queued like any utterance.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace kiosk::accessibility {

enum class Interrupt { No, Yes };

struct Utterance {
    std::string text;            // UTF-8
    std::string language = "en"; // picks the voice: "en", "es"
    int rate = 175;              // words per minute, 80..450
};

// Why nothing can be heard, so the screen can say so instead of staying silent.
enum class SpeechProblem { None, NoEngine, NoDevice, NoVoice, Failed };
struct SpeechStatus {
    SpeechProblem problem = SpeechProblem::None;
    std::string detail;  // the engine's own words, or the language without a voice
};

// What the UI talks to: the espeak-ng speaker in the kiosk, a recorder in tests.
class SpeechSink {
public:
    virtual ~SpeechSink() = default;
    virtual void speak(Utterance u, Interrupt interrupt) = 0;
    virtual void stop() = 0;
    // None while speech works as far as the kiosk can tell.
    virtual SpeechStatus status() const { return {}; }
};

// Whether this machine has anywhere to play sound: a PulseAudio or PipeWire
// socket in `runtimeDir`, or an ALSA playback device listed in `asoundPcm`.
// Empty when there is; otherwise why not. Paths are parameters so it is
// tested without (or with a pretend) sound device.
std::string audioOutputProblem(const std::filesystem::path& asoundPcm, const std::filesystem::path& runtimeDir);
// The same for this machine (/proc/asound/pcm, $XDG_RUNTIME_DIR).
std::string audioOutputProblem();

enum class SpeechOutput {
    Device,   // the sound card, through espeak-ng's own audio output
    Capture,  // samples kept in memory (tests, WAV files); nothing is played
};

// espeak-ng is one engine per process: it is initialised once, in the output
// mode of the first Speaker, and kept for the life of the process (espeak-ng
// 1.51 hangs when it is terminated and initialised again). A Speaker asking
// for the other mode is unavailable and says why.
class Speaker final : public SpeechSink {
public:
    explicit Speaker(SpeechOutput output);
    ~Speaker() override;
    Speaker(const Speaker&) = delete;
    Speaker& operator=(const Speaker&) = delete;

    // False once starting espeak-ng failed (error() says why); true while it starts.
    bool available() const;
    // No engine, no sound device (Device output), no voice for the last
    // language asked for, or the last synthesis failed.
    SpeechStatus status() const override;
    std::string error() const;
    int sampleRate() const;  // 0 until started

    // Never blocks on synthesis: queues and returns.
    void speak(Utterance u, Interrupt interrupt) override;
    void stop() override;

    // Waits until everything queued has been synthesised (Capture) or handed
    // to the sound card (Device). For tests and shutdown; false if it gave up.
    bool waitUntilIdle(std::chrono::milliseconds limit = std::chrono::seconds(60));
    // Capture mode: the samples (mono, 16-bit) of everything spoken since the last call.
    std::vector<std::int16_t> takeCaptured();
    // The voice espeak-ng chose for the last utterance ("Spanish (Spain)").
    std::string lastVoiceName() const;
    std::string lastVoiceLanguage() const;

private:
    bool start();
    void run();
    void synthesise(const Utterance& u, std::uint64_t generation);

    SpeechOutput m_output;
    std::string m_error;
    int m_sampleRate = 0;

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_idle;
    std::deque<std::pair<Utterance, bool>> m_queue;  // (utterance, cancel what plays first)
    bool m_busy = false;
    bool m_quit = false;
    bool m_started = false;
    bool m_owner = false;
    std::atomic<std::uint64_t> m_generation{0};  // bumped by an interrupt: the running synthesis stops
    std::vector<std::int16_t> m_captured;
    std::string m_voiceName, m_voiceLanguage, m_currentLanguage;
    SpeechStatus m_status;  // guarded by m_mutex
    std::thread m_thread;
};

// The kiosk's speaker: a Device speaker made at the first utterance, so a
// session that never uses read-aloud never opens the sound card.
class OnDemandSpeaker final : public SpeechSink {
public:
    void speak(Utterance u, Interrupt interrupt) override;
    void stop() override;
    std::string error() const;
    SpeechStatus status() const override;

private:
    std::unique_ptr<Speaker> m_speaker;
};

// Mono 16-bit PCM WAV. False when the file cannot be written.
bool writeWav(const std::filesystem::path& file, std::span<const std::int16_t> samples, int sampleRate);
// Reads a file written by writeWav (or any mono 16-bit PCM WAV); empty on error.
std::vector<std::int16_t> readWav(const std::filesystem::path& file, int* sampleRate = nullptr);

struct SignalLevel {
    double rms = 0;       // 0..1 of full scale
    double peak = 0;      // 0..1 of full scale
    double voicedShare = 0;  // share of 10 ms blocks louder than -40 dBFS
};
SignalLevel measure(std::span<const std::int16_t> samples, int sampleRate);

} // namespace kiosk::accessibility
