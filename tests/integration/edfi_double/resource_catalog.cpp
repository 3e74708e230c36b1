#include "edfi_double/resource_catalog.hpp"

namespace edfi_double {

namespace {

// Required fields follow reference/edfi-openapi/required-fields.json; the
// natural keys follow the Ed-Fi identities of each resource.
std::vector<ResourceSpec> buildCatalog() {
  std::vector<ResourceSpec> specs;

  {
    ResourceSpec spec;
    spec.name = "students";
    spec.entityName = "Student";
    spec.required = {"birthDate", "firstName", "lastSurname", "studentUniqueId"};
    spec.key = {{"studentUniqueId", "studentUniqueId"}};
    specs.push_back(std::move(spec));
  }

  {
    ResourceSpec spec;
    spec.name = "studentSchoolAssociations";
    spec.entityName = "StudentSchoolAssociation";
    spec.required = {"entryDate", "schoolReference", "schoolReference.schoolId", "studentReference",
                     "studentReference.studentUniqueId"};
    spec.key = {{"entryDate", "entryDate"},
                {"schoolReference.schoolId", "schoolId"},
                {"studentReference.studentUniqueId", "studentUniqueId"}};
    specs.push_back(std::move(spec));
  }

  {
    ResourceSpec spec;
    spec.name = "assessmentAdministrations";
    spec.entityName = "AssessmentAdministration";
    spec.onlyInDs52 = true;
    spec.required = {"administrationIdentifier",
                     "assessmentReference",
                     "assessmentReference.assessmentIdentifier",
                     "assessmentReference.namespace",
                     "assigningEducationOrganizationReference",
                     "assigningEducationOrganizationReference.educationOrganizationId"};
    spec.key = {
        {"administrationIdentifier", "administrationIdentifier"},
        {"assessmentReference.assessmentIdentifier", "assessmentIdentifier"},
        {"assessmentReference.namespace", "namespace"},
        {"assigningEducationOrganizationReference.educationOrganizationId", "assigningEducationOrganizationId"}};
    spec.namespacePath = "assessmentReference.namespace";
    specs.push_back(std::move(spec));
  }

  {
    ResourceSpec spec;
    spec.name = "studentAssessmentRegistrations";
    spec.entityName = "StudentAssessmentRegistration";
    spec.onlyInDs52 = true;
    spec.required = {"assessmentAdministrationReference",
                     "assessmentAdministrationReference.administrationIdentifier",
                     "assessmentAdministrationReference.assessmentIdentifier",
                     "assessmentAdministrationReference.assigningEducationOrganizationId",
                     "assessmentAdministrationReference.namespace",
                     "studentEducationOrganizationAssociationReference",
                     "studentEducationOrganizationAssociationReference.educationOrganizationId",
                     "studentEducationOrganizationAssociationReference.studentUniqueId",
                     "studentSchoolAssociationReference",
                     "studentSchoolAssociationReference.entryDate",
                     "studentSchoolAssociationReference.schoolId",
                     "studentSchoolAssociationReference.studentUniqueId",
                     "assessmentAccommodations[].accommodationDescriptor"};
    spec.key = {
        {"assessmentAdministrationReference.administrationIdentifier", "administrationIdentifier"},
        {"assessmentAdministrationReference.assessmentIdentifier", "assessmentIdentifier"},
        {"assessmentAdministrationReference.assigningEducationOrganizationId", "assigningEducationOrganizationId"},
        {"assessmentAdministrationReference.namespace", "namespace"},
        {"studentEducationOrganizationAssociationReference.educationOrganizationId", "educationOrganizationId"},
        {"studentEducationOrganizationAssociationReference.studentUniqueId", "studentUniqueId"}};
    spec.namespacePath = "assessmentAdministrationReference.namespace";
    specs.push_back(std::move(spec));
  }

  {
    ResourceSpec spec;
    spec.name = "studentAssessments";
    spec.entityName = "StudentAssessment";
    spec.required = {"studentAssessmentIdentifier",
                     "assessmentReference",
                     "assessmentReference.assessmentIdentifier",
                     "assessmentReference.namespace",
                     "studentReference",
                     "studentReference.studentUniqueId",
                     "scoreResults[].assessmentReportingMethodDescriptor",
                     "scoreResults[].resultDatatypeTypeDescriptor",
                     "scoreResults[].result",
                     "performanceLevels[].assessmentReportingMethodDescriptor",
                     "performanceLevels[].performanceLevelDescriptor",
                     "accommodations[].accommodationDescriptor"};
    spec.key = {{"studentAssessmentIdentifier", "studentAssessmentIdentifier"},
                {"assessmentReference.assessmentIdentifier", "assessmentIdentifier"},
                {"assessmentReference.namespace", "namespace"},
                {"studentReference.studentUniqueId", "studentUniqueId"}};
    spec.lengthLimits = {{"studentAssessmentIdentifier", 60}};
    spec.namespacePath = "assessmentReference.namespace";
    spec.studentPath = "studentReference.studentUniqueId";
    specs.push_back(std::move(spec));
  }

  {
    ResourceSpec spec;
    spec.name = "studentProgramEvaluations";
    spec.entityName = "StudentProgramEvaluation";
    spec.required = {"evaluationDate",
                     "programEvaluationReference",
                     "programEvaluationReference.programEducationOrganizationId",
                     "programEvaluationReference.programEvaluationPeriodDescriptor",
                     "programEvaluationReference.programEvaluationTitle",
                     "programEvaluationReference.programEvaluationTypeDescriptor",
                     "programEvaluationReference.programName",
                     "programEvaluationReference.programTypeDescriptor",
                     "studentReference",
                     "studentReference.studentUniqueId"};
    spec.key = {{"evaluationDate", "evaluationDate"},
                {"programEvaluationReference.programEducationOrganizationId", "programEducationOrganizationId"},
                {"programEvaluationReference.programEvaluationPeriodDescriptor", "programEvaluationPeriodDescriptor"},
                {"programEvaluationReference.programEvaluationTitle", "programEvaluationTitle"},
                {"programEvaluationReference.programEvaluationTypeDescriptor", "programEvaluationTypeDescriptor"},
                {"programEvaluationReference.programName", "programName"},
                {"programEvaluationReference.programTypeDescriptor", "programTypeDescriptor"},
                {"studentReference.studentUniqueId", "studentUniqueId"}};
    spec.studentPath = "studentReference.studentUniqueId";
    specs.push_back(std::move(spec));
  }

  return specs;
}

} // namespace

const std::vector<ResourceSpec> &allResources() {
  static const std::vector<ResourceSpec> catalog = buildCatalog();
  return catalog;
}

const ResourceSpec *findResource(std::string_view name) {
  for (const auto &spec : allResources()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

const nlohmann::json *findPath(const nlohmann::json &document, std::string_view dottedPath) {
  const nlohmann::json *node = &document;
  while (true) {
    std::size_t dot = dottedPath.find('.');
    std::string segment(dottedPath.substr(0, dot));
    if (!node->is_object()) return nullptr;
    auto it = node->find(segment);
    if (it == node->end()) return nullptr;
    node = &*it;
    if (dot == std::string_view::npos) return node;
    dottedPath.remove_prefix(dot + 1);
  }
}

std::optional<nlohmann::json> extractKey(const ResourceSpec &spec, const nlohmann::json &body) {
  nlohmann::json key = nlohmann::json::object();
  for (const auto &field : spec.key) {
    const nlohmann::json *value = findPath(body, field.path);
    if (value == nullptr || value->is_null() || value->is_structured()) return std::nullopt;
    key[field.name] = *value;
  }
  return key;
}

} // namespace edfi_double
