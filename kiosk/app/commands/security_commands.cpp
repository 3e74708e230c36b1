// set-proctor-pin, set-student-pin, second-factor: who may use the kiosk.
#include "kiosk/app/commands/ctl.hpp"

#include "kiosk/service/security_service.hpp"
#include "kiosk/store/ids.hpp"

#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

namespace kiosk::app::ctl {

void addSecurityCommands(CLI::App& app, Context& ctx) {
    auto proctorId = std::make_shared<std::string>();
    auto proctorName = std::make_shared<std::string>();
    auto staffId = std::make_shared<std::string>();
    auto* proctorPin = app.add_subcommand("set-proctor-pin", "Add a proctor or change their PIN (read without echo, or from a pipe)");
    proctorPin->add_option("PROCTOR_ID", *proctorId, "The proctor's ID on this kiosk (e.g. P001)")->required();
    proctorPin->add_option("--name", *proctorName, "The proctor's name as shown on the kiosk")->required();
    proctorPin->add_option("--staff-id", *staffId,
                           "The state's staffUniqueId of this proctor: named as the evaluator of approved work (none: not named)");
    proctorPin->callback([&ctx, proctorId, proctorName, staffId] {
        ctx.action = [&ctx, proctorId, proctorName, staffId] {
            int code = Ok;
            auto store = ctx.openStore(code);
            if (!store) return code;
            service::SecurityService security(*store, domain::systemNow);
            std::string pin = readSecret("PIN for " + *proctorId + " (4-8 digits): ");
            auto r = security.setProctor(*proctorId, *proctorName, pin, *staffId);
            std::cerr << (r.saved ? r.message : "set-proctor-pin: " + r.message) << "\n";
            return static_cast<int>(r.saved ? Ok : r.storageFailed ? DataError : InputError);
        };
    });

    auto studentId = std::make_shared<std::string>();
    auto* studentPin = app.add_subcommand("set-student-pin", "Set a student's sign-in PIN (when the site uses PINs)");
    studentPin->add_option("STUDENT_ID", *studentId, "Student unique ID")->required();
    studentPin->callback([&ctx, studentId] {
        ctx.action = [&ctx, studentId] {
            int code = Ok;
            auto store = ctx.openStore(code);
            if (!store) return code;
            service::SecurityService security(*store, domain::systemNow);
            std::string pin = readSecret("PIN for the student (4-8 digits): ");
            auto r = security.setStudentPin(*studentId, pin);
            if (!r.saved) std::cerr << "set-student-pin: " << r.message << "\n";
            return static_cast<int>(r.saved ? Ok : r.storageFailed ? DataError : InputError);
        };
    });

    auto factor = std::make_shared<std::string>();
    auto* factorCmd = app.add_subcommand("second-factor", "Choose the students' second sign-in factor");
    factorCmd->add_option("FACTOR", *factor, "birth_date or pin")->required()->check(CLI::IsMember({"birth_date", "pin"}));
    factorCmd->callback([&ctx, factor] {
        ctx.action = [&ctx, factor] {
            int code = Ok;
            auto store = ctx.openStore(code);
            if (!store) return code;
            service::SecurityService security(*store, domain::systemNow);
            // Recorded first: a change the audit log cannot hold is not made.
            if (auto a = security.audit("technician", "settings.second_factor", nlohmann::json{{"factor", *factor}}.dump()); !a) {
                std::cerr << "second-factor: not changed, the audit log cannot be written: " << a.error().describe() << "\n";
                return static_cast<int>(DataError);
            }
            auto s = security.setSecondFactor(*factor == "pin" ? service::SecondFactor::Pin : service::SecondFactor::BirthDate);
            if (!s) {
                std::cerr << "second-factor: " << s.error().describe() << "\n";
                return static_cast<int>(DataError);
            }
            std::cout << "students sign in with their ID and " << (*factor == "pin" ? "PIN" : "date of birth") << "\n";
            return static_cast<int>(Ok);
        };
    });
}

} // namespace kiosk::app::ctl
