#include "api_test_support.hpp"

#include "edfi_double/text_codec.hpp"

namespace edfi_double::testing {

HttpRequest makeRequest(const std::string& method, const std::string& target, const std::string& body,
                        const std::string& contentType) {
  HttpRequest request;
  request.method = method;
  auto question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos) request.query = parseFormUrlEncoded(target.substr(question + 1));
  request.headers.emplace("Host", "127.0.0.1:8443");
  if (!contentType.empty()) request.headers.emplace("Content-Type", contentType);
  request.body = body;
  return request;
}

HttpRequest withBearer(HttpRequest request, const std::string& token) {
  request.headers.emplace("Authorization", "Bearer " + token);
  return request;
}

HttpRequest postJson(const std::string& target, const nlohmann::json& body, const std::string& token) {
  return withBearer(makeRequest("POST", target, body.dump(), "application/json"), token);
}

std::string obtainToken(Api& api) {
  HttpRequest request = makeRequest("POST", "/oauth/token",
                                    "grant_type=client_credentials&client_id=kiosk&client_secret=kiosk-secret",
                                    "application/x-www-form-urlencoded");
  HttpResponse response = api.handle(request);
  return nlohmann::json::parse(response.body).at("access_token").get<std::string>();
}

nlohmann::json parseBody(const HttpResponse& response) { return nlohmann::json::parse(response.body); }

nlohmann::json sampleSeed() {
  const nlohmann::json administrationReference = {{"administrationIdentifier", "WK-2025-SPRING"},
                                                  {"assessmentIdentifier", "WORKKEYS-AM"},
                                                  {"assigningEducationOrganizationId", 255901},
                                                  {"namespace", kNamespace}};
  return {
      {"students",
       {{{"studentUniqueId", "S001"}, {"firstName", "José"}, {"lastSurname", "Núñez"}, {"birthDate", "2008-04-02"}},
        {{"studentUniqueId", "S002"}, {"firstName", "Zoë"}, {"lastSurname", "Brontë"}, {"birthDate", "2007-11-19"}}}},
      {"studentSchoolAssociations",
       {{{"entryDate", "2024-08-20"},
         {"schoolReference", {{"schoolId", 255901001}}},
         {"studentReference", {{"studentUniqueId", "S001"}}}},
        {{"entryDate", "2024-08-20"},
         {"schoolReference", {{"schoolId", 255901002}}},
         {"studentReference", {{"studentUniqueId", "S002"}}}}}},
      {"assessmentAdministrations",
       {{{"administrationIdentifier", "WK-2025-SPRING"},
         {"assessmentReference", {{"assessmentIdentifier", "WORKKEYS-AM"}, {"namespace", kNamespace}}},
         {"assigningEducationOrganizationReference", {{"educationOrganizationId", 255901}}}}}},
      {"studentAssessmentRegistrations",
       {{{"assessmentAdministrationReference", administrationReference},
         {"studentEducationOrganizationAssociationReference",
          {{"educationOrganizationId", 255901}, {"studentUniqueId", "S001"}}},
         {"studentSchoolAssociationReference",
          {{"entryDate", "2024-08-20"}, {"schoolId", 255901001}, {"studentUniqueId", "S001"}}},
         {"assessmentAccommodations",
          {{{"accommodationDescriptor", "uri://ed-fi.org/AccommodationDescriptor#Test administration"}}}}}}},
  };
}

nlohmann::json studentAssessment(const std::string& identifier, const std::string& studentUniqueId) {
  return {{"studentAssessmentIdentifier", identifier},
          {"assessmentReference", {{"assessmentIdentifier", "WORKKEYS-AM"}, {"namespace", kNamespace}}},
          {"studentReference", {{"studentUniqueId", studentUniqueId}}},
          {"administrationDate", "2025-03-04T09:05:00-06:00"},
          {"accommodations", {{{"accommodationDescriptor", "uri://ed-fi.org/AccommodationDescriptor#Scheduling"}}}}};
}

nlohmann::json studentProgramEvaluation(const std::string& evaluationDate, const std::string& studentUniqueId) {
  return {{"evaluationDate", evaluationDate},
          {"programEvaluationReference",
           {{"programEducationOrganizationId", 255901},
            {"programEvaluationPeriodDescriptor", "uri://ed-fi.org/ProgramEvaluationPeriodDescriptor#End of Year"},
            {"programEvaluationTitle", "Work Readiness"},
            {"programEvaluationTypeDescriptor", "uri://ed-fi.org/ProgramEvaluationTypeDescriptor#Other"},
            {"programName", "Career Readiness"},
            {"programTypeDescriptor", "uri://ed-fi.org/ProgramTypeDescriptor#Career and Technical Education"}}},
          {"studentReference", {{"studentUniqueId", studentUniqueId}}},
          {"summaryEvaluationComment", "Résumé reviewed"}};
}

} // namespace edfi_double::testing
