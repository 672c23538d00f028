import Testing
@testable import Kustomize
